package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.github.conversationstore.testing.CommandHooks;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attack: a fork racing its parent's erasure. Afterwards either the fork exists and reads its whole
 * prefix, or the fork call failed cleanly and nothing is left: no reference, and no message of the
 * parent in any raw document. The erasure is put between every two commands of the fork (command
 * hooks), then run in a second thread at seeded moments; two forks into one new id race too.
 */
class ForkEraseRaceAdversarialTest extends ForkAdversarialBase {

    /** The outcome of the fork call under attack: its header, or the exception it ended with. */
    private record Outcome(ConversationHeader header, RuntimeException failure) {
        static Outcome of(Runnable before, java.util.function.Supplier<ConversationHeader> fork) {
            before.run();
            try {
                return new Outcome(fork.get(), null);
            } catch (IllegalArgumentException | ConcurrentAppendException e) {
                return new Outcome(null, e);
            }
        }
    }

    /**
     * Checks the guarantee after the parent {@code p} (holding {@code parent}) was deleted and a fork
     * {@code f} at {@code at} was asked for; then deletes the fork and checks that nothing is left.
     */
    private static void check(ConversationStore reader, MongoDatabase raw, List<String> parent, int at, Outcome outcome,
            String where) {
        check(reader, raw, parent, parent.subList(0, at), at, outcome, where);
    }

    /**
     * The same, where {@code family} is every message the parent's family ever held (its ancestors'
     * too) and {@code prefix} what a fork at {@code at} reads.
     */
    private static void check(ConversationStore reader, MongoDatabase raw, List<String> family, List<String> prefix, int at,
            Outcome outcome, String where) {
        Set<String> held = stored(raw, family);
        if (outcome.header() != null) {
            assertThat(outcome.header().forkedFrom().atSequence()).as(where).isEqualTo(at);
            assertThat(texts(reader, "f")).as(where + ": the fork reads its whole prefix")
                    .containsExactlyElementsOf(prefix);
            assertThat(held).as(where + ": only the prefix the fork reads is stored")
                    .containsExactlyInAnyOrderElementsOf(prefix);
            reader.deleteConversation("f");
        } else {
            assertThat(reader.findConversation("f")).as(where + ": " + outcome.failure()).isEmpty();
            assertThat(references(raw, "f")).as(where + ": no reference left by the failed fork").isZero();
            assertThat(held).as(where + ": nothing of the deleted parent stored after a failed fork").isEmpty();
        }
        assertThat(stored(raw, family)).as(where + ": the family deleted").isEmpty();
        assertThat(references(raw, "f")).as(where).isZero();
    }

    /** The messages of the parent's family (all of them, and those of {@code p} in order). */
    private record Family(List<String> all, List<String> parent) {}

    /**
     * Forks {@code p} at {@code at} into {@code f} through a client after whose command
     * {@code command} of the fork another store deletes {@code p} (after the fork, if it takes
     * fewer commands), then checks the guarantee.
     */
    private void forkWithTheParentDeletedAfter(String database, int command, int at,
            java.util.function.Function<MongoConversationStore, Family> setUp) {
        CommandHooks hooks = new CommandHooks();
        AtomicBoolean counting = new AtomicBoolean();
        AtomicInteger seen = new AtomicInteger();
        AtomicBoolean deleted = new AtomicBoolean();
        try (MongoClient hooked = hooks.client(server.connectionString());
                MongoConversationStore forker = builder(hooked, database).build();
                MongoConversationStore other = builder(client, database).build()) {
            Family family = setUp.apply(other);
            hooks.afterSuccess(c -> counting.get() && seen.incrementAndGet() == command, () -> {
                other.deleteConversation("p");
                deleted.set(true);
            });
            Outcome outcome = Outcome.of(() -> counting.set(true), () -> forker.fork("p", at, "f"));
            counting.set(false);
            if (!deleted.get()) {
                other.deleteConversation("p"); // the fork ended before command k: the parent goes after it
            }
            check(other, client.getDatabase(database), family.all(), family.parent().subList(0, at), at, outcome,
                    "command " + command + ", at " + at);
        }
    }

    static Stream<Arguments> commandsAndPlaces() {
        // at 5 the shared messages are all in the archive; at 18 some are in the head (copied first)
        return IntStream.rangeClosed(1, 11).boxed().flatMap(k -> Stream.of(Arguments.of(k, 5), Arguments.of(k, 18)));
    }

    @ParameterizedTest(name = "the parent deleted after the fork's command {0}, fork at {1}")
    @MethodSource("commandsAndPlaces")
    void parentDeletedBetweenTwoCommandsOfTheFork(int command, int at) {
        forkWithTheParentDeletedAfter(db("forkerase"), command, at, other -> {
            List<String> parent = append(other, "p", "parent", 20);
            return new Family(parent, parent);
        });
    }

    static Stream<Arguments> commandsAndPlacesInAChain() {
        // the parent is a fork of a deleted root at 15: at 5 the fork reads the root's only, at 20 both
        return IntStream.rangeClosed(1, 11).boxed().flatMap(k -> Stream.of(Arguments.of(k, 5), Arguments.of(k, 20)));
    }

    @ParameterizedTest(name = "the parent (a fork of a deleted root) deleted after the fork's command {0}, fork at {1}")
    @MethodSource("commandsAndPlacesInAChain")
    void parentThatIsAForkDeletedBetweenTwoCommandsOfTheFork(int command, int at) {
        forkWithTheParentDeletedAfter(db("forkerasechain"), command, at, other -> {
            List<String> root = append(other, "r", "root", 20);
            other.fork("r", 15, "p");
            List<String> parent = new ArrayList<>(root.subList(0, 15));
            parent.addAll(append(other, "p", "parent", 10));
            other.deleteConversation("r");
            List<String> family = new ArrayList<>(root);
            family.addAll(parent.subList(15, 25));
            return new Family(family, parent);
        });
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void forkAndErasureInTwoThreads(long seed) throws Exception {
        Random random = new Random(seed);
        String database = db("forkthreads");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (MongoConversationStore forker = builder(client, database).build();
                MongoConversationStore eraser = builder(client, database).build()) {
            List<String> parent = append(eraser, "p", "parent", 12 + random.nextInt(12));
            int at = 1 + random.nextInt(parent.size());
            Outcome outcome = race(pool, random, 3_000_000, () -> forker.fork("p", at, "f"),
                    () -> eraser.deleteConversation("p"));
            check(eraser, client.getDatabase(database), parent, at, outcome, "seed " + seed);
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
    void forkAndErasureInTwoThreads_inMemory(long seed) throws Exception {
        Random random = new Random(seed);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        InMemoryConversationStore store = InMemoryConversationStore.create();
        try {
            List<String> parent = append(store, "p", "parent", 12 + random.nextInt(12));
            int at = 1 + random.nextInt(parent.size());
            Outcome outcome = race(pool, random, 300_000, () -> store.fork("p", at, "f"), () -> store.deleteConversation("p"));
            Set<String> held = new java.util.TreeSet<>(store.heldTexts());
            held.retainAll(parent);
            if (outcome.header() != null) {
                assertThat(texts(store, "f")).as("seed " + seed).containsExactlyElementsOf(parent.subList(0, at));
                assertThat(held).as("seed " + seed).containsExactlyInAnyOrderElementsOf(parent.subList(0, at));
                store.deleteConversation("f");
            } else {
                assertThat(store.findConversation("f")).as("seed " + seed).isEmpty();
                assertThat(held).as("seed " + seed).isEmpty();
            }
            held = new java.util.TreeSet<>(store.heldTexts());
            held.retainAll(parent);
            assertThat(held).as("seed " + seed + ": the family deleted").isEmpty();
        } finally {
            pool.shutdownNow();
        }
    }

    /** Runs the fork and the erasure in two threads, each after a seeded pause of up to {@code maxNanos}. */
    private static Outcome race(ExecutorService pool, Random random, int maxNanos,
            java.util.function.Supplier<ConversationHeader> fork, java.util.concurrent.Callable<Long> erase)
            throws Exception {
        long forkDelay = random.nextInt(maxNanos);
        long eraseDelay = random.nextInt(maxNanos);
        CountDownLatch go = new CountDownLatch(1);
        Future<Outcome> forked = pool.submit(() -> Outcome.of(() -> await(go, forkDelay), fork));
        Future<Long> erased = pool.submit(() -> {
            await(go, eraseDelay);
            return erase.call();
        });
        go.countDown();
        erased.get(20, TimeUnit.SECONDS);
        return forked.get(20, TimeUnit.SECONDS);
    }

    private static void await(CountDownLatch go, long nanos) {
        try {
            go.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LockSupport.parkNanos(nanos);
    }

    @ParameterizedTest(name = "the second fork at {0}")
    @ValueSource(ints = {3, 10})
    void twoForksIntoOneNewIdAtOtherPlaces_theOneMadeReadsWholeAfterTheParentIsDeleted(int otherAt) {
        String database = db("forkid");
        CommandHooks hooks = new CommandHooks();
        try (MongoClient hooked = hooks.client(server.connectionString());
                MongoConversationStore first = builder(hooked, database).build();
                MongoConversationStore second = builder(client, database).build()) {
            List<String> parent = append(second, "p", "parent", 20);
            List<ConversationHeader> made = new ArrayList<>();
            // between the first call's references and its head, the second call makes its fork whole
            hooks.afterSuccess(CommandHooks.command("update", "conversations_forks"),
                    () -> made.add(second.fork("p", otherAt, "f")));
            Outcome firstOutcome = Outcome.of(() -> { }, () -> first.fork("p", 6, "f"));
            assertThat(made).hasSize(1);
            assertThat(firstOutcome.failure()).as("the first call finds another fork in its place")
                    .isInstanceOf(IllegalArgumentException.class);
            second.deleteConversation("p");
            MongoDatabase raw = client.getDatabase(database);
            assertThat(texts(second, "f")).containsExactlyElementsOf(parent.subList(0, otherAt));
            second.removeOrphanedArchives();
            assertThat(texts(second, "f")).containsExactlyElementsOf(parent.subList(0, otherAt));
            assertThat(stored(raw, parent)).containsExactlyInAnyOrderElementsOf(parent.subList(0, otherAt));
            second.deleteConversation("f");
            assertThat(stored(raw, parent)).isEmpty();
        }
    }

    @ParameterizedTest(name = "fork at {0}")
    @ValueSource(ints = {5, 18})
    void twoCallsOfOneFork_theParentDeletedBetweenTheirChecks_theForkMadeStaysWhole(int at) {
        String database = db("forksame");
        CommandHooks hooks = new CommandHooks();
        try (MongoClient hooked = hooks.client(server.connectionString());
                MongoConversationStore first = builder(hooked, database).build();
                MongoConversationStore second = builder(client, database).build()) {
            List<String> parent = append(second, "p", "parent", 20);
            List<ConversationHeader> made = new ArrayList<>();
            // after the first call's references: the second call makes the fork, then the parent goes;
            // the first call's check of the parent then finds it deleted
            hooks.afterSuccess(CommandHooks.command("update", "conversations_forks"), () -> {
                made.add(second.fork("p", at, "f"));
                second.deleteConversation("p");
            });
            Outcome firstOutcome = Outcome.of(() -> { }, () -> first.fork("p", at, "f"));
            assertThat(made).hasSize(1);
            MongoDatabase raw = client.getDatabase(database);
            if (firstOutcome.header() != null) {
                assertThat(firstOutcome.header().forkedFrom()).isEqualTo(made.get(0).forkedFrom());
            }
            assertThat(texts(second, "f")).containsExactlyElementsOf(parent.subList(0, at));
            second.removeOrphanedArchives();
            assertThat(texts(second, "f")).as("after the sweep").containsExactlyElementsOf(parent.subList(0, at));
            assertThat(stored(raw, parent)).containsExactlyInAnyOrderElementsOf(parent.subList(0, at));
            second.deleteConversation("f");
            assertThat(stored(raw, parent)).isEmpty();
        }
    }
}
