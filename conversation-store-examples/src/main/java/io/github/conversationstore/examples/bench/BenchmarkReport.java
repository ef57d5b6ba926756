package io.github.conversationstore.examples.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the JMH suite side by side and writes {@code BENCHMARKS.md} and {@code benchmark-latency.svg}.
 *
 * <pre>
 * ./mvnw -q -pl conversation-store-examples -am test-compile exec:java \
 *     -Dexec.mainClass=io.github.conversationstore.examples.bench.BenchmarkReport
 * </pre>
 *
 * Arguments: {@code [smoke] [outputDirectory]} (default: the full suite into {@code docs}).
 */
public final class BenchmarkReport {
    static final String COMMAND = "./mvnw -q -pl conversation-store-examples -am test-compile exec:java "
            + "-Dexec.mainClass=io.github.conversationstore.examples.bench.BenchmarkReport";

    /** What to run. */
    record Plan(List<Integer> lengths, List<String> sessionModes, int warmups, int iterations, TimeValue time,
            int poolMessages, int wireAppends, int sideBySideRounds) {
        static Plan full() {
            return new Plan(List.of(100, 1_000, 10_000, 100_000), List.of("single", "spread", "contended"), 2, 4,
                    TimeValue.seconds(1), 100_000, 200, 2_000);
        }

        /** Seconds, for the test run: checks the plumbing, measures nothing worth reading. */
        static Plan smoke() {
            return new Plan(List.of(100, 1_000), List.of("single"), 0, 1, TimeValue.milliseconds(100), 1_000, 5, 20);
        }
    }

    /** Mean latency in microseconds, by session mode, pattern and length. */
    static final class Results {
        final Map<String, Map<WritePattern, Map<Integer, Double>>> append = new LinkedHashMap<>();
        final Map<WritePattern, Map<Integer, Double>> read = new EnumMap<>(WritePattern.class);
        final Map<WritePattern, Map<Integer, WireStats.PerAppend>> wire = new EnumMap<>(WritePattern.class);
        /** Side-by-side measurements for the targets whose ratios are close to 1. */
        final List<Interleaved.Result> interleaved = new ArrayList<>();
        /** Encryption on against off, side by side. */
        EncryptionOverhead.Result encryption;

        Double append(String mode, WritePattern p, int length) {
            return append.getOrDefault(mode, Map.of()).getOrDefault(p, Map.of()).get(length);
        }
    }

    private BenchmarkReport() {}

    public static void main(String[] args) throws Exception {
        boolean smoke = args.length > 0 && args[0].equals("smoke");
        Path out = Paths.get(args.length > (smoke ? 1 : 0) ? args[smoke ? 1 : 0] : "docs");
        Path written = run(smoke ? Plan.smoke() : Plan.full(), out);
        System.out.println("wrote " + written + " and " + out.resolve("benchmark-latency.svg"));
    }

    static Path run(Plan plan, Path outDir) throws RunnerException, IOException {
        Results results = new Results();
        // Warm the JIT on every code path first, so that no pattern pays for it in its measurements.
        for (WritePattern pattern : WritePattern.values()) {
            jmh(plan, AppendBenchmark.class.getName() + ".append", 1, pattern, List.of(Integer.toString(plan.lengths().get(0))),
                    "single", true);
        }
        for (String mode : plan.sessionModes()) {
            // length by length, every pattern in turn: the ratios at one length are measured close in time
            for (int length : plan.lengths()) {
                for (WritePattern pattern : WritePattern.values()) {
                    boolean poolTooSmallToSpread = mode.equals("spread") && AppendBenchmark.poolSize(length, plan.poolMessages()) < 8;
                    boolean singleThreadOnly = pattern == WritePattern.RAW_SAME_COMMANDS && !mode.equals("single");
                    if (!pattern.reaches(length) || poolTooSmallToSpread || singleThreadOnly) {
                        continue;
                    }
                    for (RunResult r : jmh(plan, AppendBenchmark.class.getName() + ".append", mode.equals("single") ? 1 : 8,
                            pattern, List.of(Integer.toString(length)), mode, false)) {
                        results.append.computeIfAbsent(mode, m -> new EnumMap<>(WritePattern.class))
                                .computeIfAbsent(pattern, p -> new TreeMap<>())
                                .put(length, r.getPrimaryResult().getScore());
                    }
                }
            }
        }
        for (WritePattern pattern : List.of(WritePattern.LIBRARY, WritePattern.SEED_FIX, WritePattern.INSERT_PER_MESSAGE)) {
            List<String> lengths = new ArrayList<>();
            for (int length : plan.lengths()) {
                if (pattern.reaches(length)) {
                    lengths.add(Integer.toString(length));
                }
            }
            for (RunResult r : jmh(plan, ReadBenchmark.class.getName() + ".readLast20", 1, pattern, lengths, "single", false)) {
                results.read.computeIfAbsent(pattern, p -> new TreeMap<>())
                        .put(Integer.parseInt(r.getParams().getParam("length")), r.getPrimaryResult().getScore());
            }
        }
        for (WritePattern pattern : WritePattern.values()) {
            for (int length : List.of(plan.lengths().get(0), plan.lengths().get(Math.min(2, plan.lengths().size() - 1)))) {
                if (pattern.reaches(length)) {
                    results.wire.computeIfAbsent(pattern, p -> new TreeMap<>())
                            .put(length, WireStats.measure(pattern, length, plan.wireAppends()));
                }
            }
        }
        int shortest = plan.lengths().get(0);
        int longest = plan.lengths().get(plan.lengths().size() - 1);
        System.out.printf(Locale.ROOT, "%s interleaved measurements at %d and %d messages%n", LocalDate.now(), shortest, longest);
        int rounds = plan.sideBySideRounds();
        results.interleaved.add(Interleaved.measure(WritePattern.LIBRARY, longest, WritePattern.LIBRARY, shortest, rounds));
        for (WritePattern other : List.of(WritePattern.RAW_SAME_COMMANDS, WritePattern.INSERT_ONE_FLOOR)) {
            for (int length : List.of(shortest, longest)) {
                results.interleaved.add(Interleaved.measure(WritePattern.LIBRARY, length, other, length, rounds));
            }
        }
        results.encryption = EncryptionOverhead.measure(Math.max(200, rounds));
        Files.createDirectories(outDir);
        Files.writeString(outDir.resolve("benchmark-latency.svg"), Chart.svg(results.append.get("single"), plan.lengths()),
                StandardCharsets.UTF_8);
        Path markdown = outDir.resolve("BENCHMARKS.md");
        // the latency mode's section (NetworkLatency) is measured apart: keep it
        String kept = Files.exists(markdown) ? NetworkLatency.section(Files.readString(markdown, StandardCharsets.UTF_8)) : "";
        Files.writeString(markdown, Markdown.render(plan, results) + (kept.isEmpty() ? "" : "\n" + kept), StandardCharsets.UTF_8);
        return markdown;
    }

    private static Collection<RunResult> jmh(Plan plan, String benchmark, int threads, WritePattern pattern,
            List<String> lengths, String mode, boolean warmUpOnly) throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include("^" + benchmark.replace(".", "\\.") + "$")
                .forks(0) // in-process: one JVM runs every pattern side by side
                .shouldDoGC(true) // collect between iterations, so that no trial pays for another's garbage
                .threads(threads)
                .warmupIterations(warmUpOnly ? 0 : plan.warmups())
                .warmupTime(plan.time())
                .measurementIterations(warmUpOnly ? 1 : plan.iterations())
                .measurementTime(plan.time())
                .param("pattern", pattern.name())
                .param("length", lengths.toArray(new String[0]))
                .param("sessions", mode)
                .param("poolMessages", Integer.toString(plan.poolMessages()))
                .verbosity(Boolean.getBoolean("bench.verbose") ? VerboseMode.NORMAL : VerboseMode.SILENT)
                .shouldFailOnError(true);
        System.out.printf(Locale.ROOT, "%s %-20s %-9s threads=%d lengths=%s%s%n", LocalDate.now(),
                pattern, mode, threads, lengths, warmUpOnly ? " (JIT warm-up, discarded)" : "");
        return new Runner(options.build()).run();
    }
}
