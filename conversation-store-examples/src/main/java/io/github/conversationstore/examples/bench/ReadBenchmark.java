package io.github.conversationstore.examples.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** Reading the last 20 messages of a session of a given length (the prompt window). */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class ReadBenchmark {
    private int next;

    @Benchmark
    public List<?> readLast20(AppendBenchmark.Bench bench) {
        next = (next + 1) % bench.poolSize;
        return bench.writer.readLast(AppendBenchmark.session(next), 20);
    }
}
