package io.github.conversationstore;

import static io.github.conversationstore.testing.FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.StoreListener;
import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.testing.SteppableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attack: {@code regenerate} and {@code edit} when the branch's turn loses its lease (a pause after
 * the provider answered, longer than the lease; a stepped clock), when a second process calls the
 * same new turn id (after the pause, or at the same moment), and when a reply is lost in the middle
 * (the fork's head, the branch's user message, its reply). Always: one branch, one reply stored,
 * the original untouched; a stale holder gets {@link LeaseLostException} and its retry the turn the
 * other process completed.
 */
class ForkBranchLeaseAdversarialTest extends ForkAdversarialBase {
    private static final Duration LEASE = Duration.ofSeconds(2);

    private static TurnService.Builder service(ConversationStore store, ReplyProvider provider) {
        return TurnService.builder(store).provider(provider).leaseDuration(LEASE).replyTimeout(LEASE.dividedBy(2))
                .busyTimeout(Duration.ofSeconds(10)).retryBackoff(Duration.ofMillis(10));
    }

    private static ReplyProvider answering(String who, AtomicInteger calls) {
        return request -> Reply.of(who + " " + calls.incrementAndGet() + " to " + request.userMessage().text());
    }

    private static Branch branch(TurnService turns, String kind) {
        return kind.equals("edit") ? turns.edit("s", "t2", "edited", "t2-new") : turns.regenerate("s", "t2", "t2-new");
    }

    /** A conversation of three turns, by {@code turns}; returns its texts. */
    private static List<String> original(TurnService turns, ConversationStore store) {
        turns.respond("s", "en", "one", "t1");
        turns.respond("s", "en", "two", "t2");
        turns.respond("s", "en", "three", "t3");
        return store.readMessages("s", 0, 100).stream().map(StoredMessage::text).toList();
    }

    /** One branch, at the turn's user message, holding the prefix, the user message and one reply. */
    private static void oneBranch(ConversationStore store, List<String> original, String kind, String reply) {
        List<ConversationHeader> forks = store.listForks("s", null, 10);
        assertThat(forks).hasSize(1);
        String branchId = forks.get(0).sessionId();
        assertThat(forks.get(0).forkedFrom().atSequence()).isEqualTo(2);
        List<String> expected = new ArrayList<>(original.subList(0, 2));
        expected.add(kind.equals("edit") ? "edited" : "two");
        expected.add(reply);
        assertThat(texts(store, branchId)).containsExactlyElementsOf(expected);
        assertThat(texts(store, "s")).as("the original untouched").containsExactlyElementsOf(original);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"regenerate", "edit"})
    void pauseLongerThanTheLease_anotherProcessCompletesTheBranch_theStaleHolderIsToldLeaseLost(String kind)
            throws Exception {
        String database = db("branchpause");
        CountDownLatch aAnswered = new CountDownLatch(1);
        CountDownLatch bDone = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        StoreListener pauseOnTheBranch = new StoreListener() {
            @Override
            public void onProviderCall(ProviderCall event) {
                if (calls.get() > 3) { // the branch's turn, not the original's three
                    aAnswered.countDown();
                    try {
                        bDone.await(20, TimeUnit.SECONDS); // a pause past the lease, until B is done
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        try (MongoClient other = MongoClients.create(server.connectionString());
                MongoConversationStore storeA = builder(client, database).build();
                MongoConversationStore storeB = builder(other, database).build();
                TurnService a = service(storeA, answering("A", calls)).listener(pauseOnTheBranch).build();
                TurnService b = service(storeB, answering("B", calls)).busyTimeout(Duration.ofSeconds(20)).build()) {
            List<String> original = original(a, storeA);
            CompletableFuture<Branch> inA = CompletableFuture.supplyAsync(() -> branch(a, kind));
            assertThat(aAnswered.await(10, TimeUnit.SECONDS)).isTrue();
            Branch byB = branch(b, kind);
            bDone.countDown();

            assertThatThrownBy(inA::join).hasCauseInstanceOf(LeaseLostException.class);
            Branch retriedInA = branch(a, kind);
            assertThat(retriedInA.sessionId()).isEqualTo(byB.sessionId());
            assertThat(retriedInA.turn().replayed()).isTrue();
            assertThat(retriedInA.turn().reply().text()).isEqualTo(byB.turn().reply().text()).startsWith("B ");
            oneBranch(storeB, original, kind, byB.turn().reply().text());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"regenerate", "edit"})
    void clockSteppedPastTheLease_inMemory_theStaleHolderIsToldLeaseLost(String kind) {
        SteppableClock clock = new SteppableClock(Duration.ZERO);
        InMemoryConversationStore store = InMemoryConversationStore.builder().clock(clock).build();
        AtomicInteger calls = new AtomicInteger();
        List<Branch> byB = new ArrayList<>();
        TurnService[] b = new TurnService[1];
        ReplyProvider steppingA = request -> {
            Reply reply = Reply.of("A " + calls.incrementAndGet() + " to " + request.userMessage().text());
            if (calls.get() == 4) { // the branch's turn: the clock jumps past the lease, B takes the branch
                clock.step(Duration.ofMinutes(5));
                byB.add(branch(b[0], kind));
            }
            return reply;
        };
        try (TurnService a = service(store, steppingA).build(); TurnService other = service(store, answering("B", calls)).build()) {
            b[0] = other;
            List<String> original = original(a, store);
            assertThatThrownBy(() -> branch(a, kind)).isInstanceOf(LeaseLostException.class);
            assertThat(byB).hasSize(1);
            Branch retried = branch(a, kind);
            assertThat(retried.turn().replayed()).isTrue();
            assertThat(retried.turn().reply().text()).isEqualTo(byB.get(0).turn().reply().text()).startsWith("B ");
            oneBranch(store, original, kind, byB.get(0).turn().reply().text());
        }
    }

    @ParameterizedTest(name = "{0}, the reply of the write holding ''{1}'' lost")
    @CsvSource({"regenerate, chain", "edit, chain", "regenerate, t2-new", "edit, t2-new", "regenerate, A 4", "edit, A 4"})
    void replyLostInTheMiddle_theRetryInAnotherProcessMakesOneBranchWithOneReply(String kind, String marker)
            throws Exception {
        String database = db("branchlost");
        AtomicInteger calls = new AtomicInteger();
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient proxied = proxy.client();
                MongoConversationStore lossy = builder(proxied, database).maxAttempts(1).build();
                MongoConversationStore storeB = builder(client, database).build();
                TurnService a = service(lossy, answering("A", calls)).build();
                TurnService b = service(storeB, answering("B", calls)).busyTimeout(Duration.ofSeconds(15)).build()) {
            List<String> original = original(b, storeB);
            proxy.arm(DROP_REPLY_AFTER_APPLY, marker, 1);
            try {
                branch(a, kind); // the turn service may retry the lost write itself, under its own ids
            } catch (ConversationStoreException unknownOutcome) {
                assertThat(unknownOutcome.isRetryable()).as(unknownOutcome.toString()).isTrue();
            }
            assertThat(proxy.injected()).isEqualTo(1);

            Branch retried = branch(b, kind); // A's lease on the branch, if any, expires meanwhile
            Branch again = branch(b, kind);
            assertThat(again.turn().replayed()).isTrue();
            assertThat(again.turn().reply().text()).isEqualTo(retried.turn().reply().text());
            oneBranch(storeB, original, kind, retried.turn().reply().text());
            if (marker.equals("A 4")) {
                assertThat(retried.turn().reply().text()).as("A's reply was stored: the retry replays it")
                        .startsWith("A 4");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"regenerate", "edit"})
    void outageDuringTheForkStep_anotherProcessIsNotLockedOutLongerThanTheTurnLease(String kind) {
        InMemoryConversationStore store = InMemoryConversationStore.create();
        AtomicInteger calls = new AtomicInteger();
        // process A's store: the outage begins with the fork (after the branch's lease was taken)
        // and lasts through the lease's release, as a crash of A there would leave it
        ConversationStore outageInA = new io.github.conversationstore.testing.ForwardingConversationStore(store) {
            @Override
            public ConversationHeader fork(String sessionId, long atSequence, String newSessionId) {
                throw new ConversationStoreUnavailableException("outage: fork", null);
            }

            @Override
            public void releaseLease(String sessionId, String holder) {
                throw new ConversationStoreUnavailableException("outage: release", null);
            }
        };
        try (TurnService a = service(outageInA, answering("A", calls)).build();
                TurnService b = service(store, answering("B", calls)).busyTimeout(LEASE.multipliedBy(3)).build()) {
            List<String> original = original(b, store);
            assertThatThrownBy(() -> branch(a, kind)).isInstanceOf(ConversationStoreUnavailableException.class);
            Branch byB = branch(b, kind); // waits at most about one turn lease for the branch
            assertThat(byB.turn().reply().text()).startsWith("B ");
            oneBranch(store, original, kind, byB.turn().reply().text());
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void twoProcessesCallingTheSameNewTurnIdAtOnce_oneBranchOneReply(long seed) throws Exception {
        Random random = new Random(seed);
        String kind = random.nextBoolean() ? "edit" : "regenerate";
        String database = db("branchrace");
        AtomicInteger calls = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (MongoClient other = MongoClients.create(server.connectionString());
                MongoConversationStore storeA = builder(client, database).build();
                MongoConversationStore storeB = builder(other, database).build();
                TurnService a = service(storeA, answering("A", calls)).build();
                TurnService b = service(storeB, answering("B", calls)).build()) {
            List<String> original = original(a, storeA);
            CountDownLatch go = new CountDownLatch(1);
            long delayA = random.nextInt(3_000_000);
            long delayB = random.nextInt(3_000_000);
            Future<Branch> inA = pool.submit(() -> {
                go.await();
                LockSupport.parkNanos(delayA);
                return branch(a, kind);
            });
            Future<Branch> inB = pool.submit(() -> {
                go.await();
                LockSupport.parkNanos(delayB);
                return branch(b, kind);
            });
            go.countDown();
            Branch first = inA.get(30, TimeUnit.SECONDS);
            Branch second = inB.get(30, TimeUnit.SECONDS);
            assertThat(second.sessionId()).isEqualTo(first.sessionId());
            assertThat(second.turn().reply().text()).isEqualTo(first.turn().reply().text());
            assertThat(first.turn().replayed() && second.turn().replayed()).isFalse();
            oneBranch(storeB, original, kind, first.turn().reply().text());
        } finally {
            pool.shutdownNow();
        }
    }
}
