package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongoTestBase;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.History.Kind;
import io.github.conversationstore.History.Op;
import io.github.conversationstore.HistoryChecker.Invariant;
import io.github.conversationstore.HistoryChecker.Violation;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The randomized, seeded, model-based history test with injected faults: worker threads issue
 * random operations on a few sessions through three stores on one embedded server (direct,
 * through a proxy that drops, holds and resets replies and plays outages, and with a skewed
 * clock), with tiny heads so that messages move to the archive all the time; the
 * {@link HistoryChecker} then judges the whole history. On failure the seed, the faults and the
 * shortest failing configuration found by halving are printed, with that run's operation log of
 * the offending session.
 *
 * <p>System properties: {@code history.seconds} (the class's budget, default 45; the soak:
 * {@code ./mvnw -B -pl conversation-store test -Dtest=RandomizedHistoryTest -Dhistory.seconds=300}),
 * {@code history.seed} (default random, printed), {@code history.workers} and {@code history.sessions}
 * (default 6 each), {@code history.ops} (operations per worker, default unbounded) and
 * {@code history.shrinkSeconds} (time for shrinking a failure, default 30); the high-contention run
 * has its own budget, {@code history.contendedSeconds} (default 12).
 */
class RandomizedHistoryTest extends EmbeddedMongoTestBase {
    private static final Duration BUDGET = Duration.ofSeconds(Long.getLong("history.seconds", 45));
    private static final Duration CONTENDED_BUDGET = Duration.ofSeconds(Long.getLong("history.contendedSeconds", 12));
    private static final Duration SHRINK_BUDGET = Duration.ofSeconds(Long.getLong("history.shrinkSeconds", 30));
    /** What setup, the final reads, operations still under way at the deadline and the checker take. */
    private static final Duration RESERVE = Duration.ofSeconds(4);
    private static final int LOG_LINES = 300;
    private static long seed;

    @BeforeAll
    static void chooseSeed() {
        seed = Long.getLong("history.seed", new SecureRandom().nextLong());
        System.out.println("RandomizedHistoryTest: seed=" + seed + " (repeat with -Dhistory.seed=" + seed + "), budget "
                + BUDGET.toSeconds() + " s");
    }

    private static HistoryRun.Config config(HistoryRun.Backend backend, double shareOfBudget) {
        Duration reserve = backend == HistoryRun.Backend.IN_MEMORY ? RESERVE.dividedBy(4) : RESERVE;
        Duration duration = Duration.ofMillis((long) (BUDGET.toMillis() * shareOfBudget)).minus(reserve);
        return new HistoryRun.Config(seed, duration.isNegative() ? Duration.ofSeconds(1) : duration,
                Integer.getInteger("history.workers", 6), Integer.getInteger("history.sessions", 6),
                Integer.getInteger("history.ops", Integer.MAX_VALUE), backend);
    }

    @Test
    void randomHistoryWithFaults_keepsEveryGuarantee() throws Exception {
        check(config(HistoryRun.Backend.EMBEDDED, 0.55));
    }

    @Test
    void randomHistoryWithOriginalBackendWriting_keepsEveryGuarantee() throws Exception {
        check(config(HistoryRun.Backend.ORIGINAL_BACKEND, 0.3));
    }

    /**
     * High contention: 8 workers on 6 sessions, appends most of the operations, tiny heads, faults
     * and the skewed clock; no append may fail because other writers kept winning (issue 21: one
     * gave up with {@code ConcurrentAppendException} after its 8 attempts). Its own budget,
     * {@code history.contendedSeconds} (default 12).
     */
    @Test
    void randomHistoryUnderHighContention_noAppendGivesUpOnARace() throws Exception {
        Duration duration = CONTENDED_BUDGET.minus(RESERVE);
        check(new HistoryRun.Config(seed, duration.isNegative() ? Duration.ofSeconds(1) : duration,
                Integer.getInteger("history.contendedWorkers", 8), Integer.getInteger("history.contendedSessions", 6),
                Integer.getInteger("history.ops", Integer.MAX_VALUE), HistoryRun.Backend.CONTENDED));
    }

    /** The reference implementation passes: the checker raises no false alarm on a correct store. */
    @Test
    void randomHistoryOnInMemoryStore_keepsEveryGuarantee() throws Exception {
        check(config(HistoryRun.Backend.IN_MEMORY, 0.15));
    }

    private void check(HistoryRun.Config config) throws Exception {
        HistoryRun.Result result = HistoryRun.run(config, client, server.port());
        String report = result.failed() ? report(result, shrink(result)) : result.summary();
        System.out.println(report);

        assertThat(result.violations().size()).as(report).isZero();
        assertThat(result.history().countByKind()).as("the run appended, read and erased")
                .containsKeys(Kind.APPEND, Kind.RECENT, Kind.PAGE, Kind.DELETE);
    }

    /**
     * Runs the same seed with half the operations per worker, half the workers or half the
     * sessions, keeping each halving that still breaks the first run's first invariant, until none
     * does or the shrink budget is spent.
     */
    private HistoryRun.Result shrink(HistoryRun.Result failing) throws Exception {
        Invariant wanted = failing.violations().get(0).invariant();
        long deadline = System.nanoTime() + SHRINK_BUDGET.toNanos();
        HistoryRun.Result smallest = failing;
        HistoryRun.Config current = failing.config().withOpsPerWorker(Math.max(1, failing.opsPerWorker()));
        boolean shrunk = true;
        while (shrunk) {
            shrunk = false;
            for (HistoryRun.Config candidate : halvings(current)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return smallest;
                }
                HistoryRun.Result r = HistoryRun.run(candidate.withDuration(
                        Duration.ofNanos(Math.min(left, candidate.duration().toNanos()))), client, server.port());
                if (r.violations().stream().anyMatch(v -> v.invariant() == wanted)) {
                    smallest = r;
                    current = candidate.withOpsPerWorker(Math.max(1, r.opsPerWorker()));
                    shrunk = true;
                    break;
                }
            }
        }
        return smallest;
    }

    private static List<HistoryRun.Config> halvings(HistoryRun.Config c) {
        List<HistoryRun.Config> out = new ArrayList<>();
        if (c.opsPerWorker() > 1) {
            out.add(c.withOpsPerWorker(c.opsPerWorker() / 2));
        }
        if (c.workers() > 1) {
            out.add(c.withWorkers(c.workers() / 2));
        }
        if (c.sessions() > 1) {
            out.add(c.withSessions(c.sessions() / 2));
        }
        return out;
    }

    private static String report(HistoryRun.Result failing, HistoryRun.Result smallest) {
        StringBuilder s = new StringBuilder("RandomizedHistoryTest FAILED with seed=").append(seed)
                .append(" (repeat with -Dhistory.seed=").append(seed).append(")\n").append(failing.summary()).append('\n');
        s.append("violations by invariant: ").append(countByInvariant(failing.violations()))
                .append("; the first of each:\n");
        failing.violations().stream().collect(Collectors.toMap(Violation::invariant, v -> v, (a, b) -> a, TreeMap::new))
                .values().forEach(v -> s.append("  ").append(v).append('\n'));
        Violation first = smallest.violations().stream()
                .filter(v -> v.invariant() == failing.violations().get(0).invariant()).findFirst().orElseThrow();
        s.append("shortest failing configuration: ").append(smallest.config().properties())
                .append(" (").append(smallest.opsPerWorker()).append(" operations per worker)\n")
                .append(smallest.summary()).append('\n')
                .append("its first ").append(first).append('\n');
        List<Op> log = smallest.history().log(first.session());
        int end = (int) log.stream().filter(op -> op.invoked() < first.op().completed()).count();
        int start = Math.max(0, end - LOG_LINES);
        s.append("operation log of session ").append(first.session()).append(" in that run, operations ")
                .append(start + 1).append(" to ").append(end).append(" of ").append(log.size())
                .append(" (up to the last one invoked before the offending one completed):\n");
        log.subList(start, end).forEach(op -> s.append("  ").append(op).append('\n'));
        return s.toString();
    }

    private static Map<String, Long> countByInvariant(List<Violation> violations) {
        return violations.stream().collect(Collectors.groupingBy(v -> v.invariant().description,
                TreeMap::new, Collectors.counting()));
    }
}
