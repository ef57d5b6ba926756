package io.github.conversationstore.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The streaming benchmark runs: a short stream stays within the draft-write bound and the follower gets every token. */
class StreamingBenchmarkSmokeTest {
    @Test
    void measuresDraftWritesLagAndCommands() throws Exception {
        StreamingBenchmark.Result result = StreamingBenchmark.measure(100, 200);

        assertThat(result.draftWrites()).isPositive().isLessThanOrEqualTo(result.bound());
        assertThat(result.streamedCommands()).isGreaterThan(result.plainCommands());
        assertThat(result.maxLagMillis()).isPositive();
    }
}
