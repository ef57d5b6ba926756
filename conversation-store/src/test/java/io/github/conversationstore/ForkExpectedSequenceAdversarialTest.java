package io.github.conversationstore;

import static io.github.conversationstore.testing.FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.testing.FaultInjectingProxy.RandomFaults;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attack: appends with {@code expectedSequence} on a fork, racing each other through lost replies
 * and resets (each writer retrying its own request as a caller would), and a retry after a lost
 * reply once the session has moved on (other appends, archive moves): exactly one writer gets each
 * slot, the others {@link SequenceMismatchException} with nothing written, and the retry of an
 * applied append id is a duplicate, never a mismatch.
 */
class ForkExpectedSequenceAdversarialTest extends ForkAdversarialBase {

    private static AppendRequest expecting(String sessionId, String appendId, long expected, String text) {
        return AppendRequest.builder(sessionId, "en").appendId(appendId).expectedSequence(expected)
                .messages(Message.user(text)).build();
    }

    /** The outcome of one writer's request, retried while the store says the outcome is unknown. */
    private static boolean wins(ConversationStore store, AppendRequest request, long slot) {
        for (int attempt = 0; attempt < 30; attempt++) {
            try {
                AppendResult result = store.appendMessages(request);
                assertThat(result.firstSequence()).isEqualTo(slot);
                return true;
            } catch (SequenceMismatchException lost) {
                assertThat(lost.actualNextSequence()).isGreaterThan(slot);
                return false;
            } catch (ConversationStoreUnavailableException | ConcurrentAppendException unknown) {
                // retry with the same append id
            }
        }
        throw new AssertionError("never settled: " + request.appendId());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void writersRacingThroughLostReplies_onAFork_exactlyOneGetsEachSlot(long seed) throws Exception {
        String database = db("forkexpect");
        int writers = 3;
        int rounds = 8;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<MongoClient> clients = new ArrayList<>();
        List<MongoConversationStore> stores = new ArrayList<>();
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoConversationStore reader = builder(client, database).maxHeadMessages(4).build()) {
            List<String> parent = append(reader, "p", "parent", 9);
            reader.fork("p", 7, "f");
            for (int w = 0; w < writers; w++) {
                MongoClient c = MongoClients.create(proxy.clientSettings(Duration.ofSeconds(2)));
                clients.add(c);
                stores.add(builder(c, database).maxHeadMessages(4).maxAttempts(2).operationTimeout(Duration.ofSeconds(3))
                        .build());
            }
            proxy.startRandom(new RandomFaults(seed, 0.12, 0.05, 0.05, 0, Duration.ofMillis(50), Duration.ofMillis(300),
                    Duration.ZERO));
            List<String> expected = new ArrayList<>(parent.subList(0, 7));
            for (int round = 0; round < rounds; round++) {
                long slot = 7 + round;
                List<Future<Boolean>> results = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    ConversationStore store = stores.get(w);
                    AppendRequest request = expecting("f", "r" + round + "w" + w, slot, "slot " + slot + " by " + w);
                    results.add(pool.submit(() -> wins(store, request, slot)));
                }
                int winner = -1;
                for (int w = 0; w < writers; w++) {
                    if (results.get(w).get(60, TimeUnit.SECONDS)) {
                        assertThat(winner).as("slot %d won twice (seed %d)", slot, seed).isEqualTo(-1);
                        winner = w;
                    }
                }
                assertThat(winner).as("slot %d won by nobody (seed %d)", slot, seed).isNotNegative();
                expected.add("slot " + slot + " by " + winner);
            }
            proxy.stopRandom();
            assertThat(proxy.injected()).as("faults injected").isPositive();
            assertThat(texts(reader, "f")).containsExactlyElementsOf(expected);
            assertThat(texts(reader, "p")).containsExactlyElementsOf(parent);
        } finally {
            pool.shutdownNow();
            stores.forEach(MongoConversationStore::close);
            clients.forEach(MongoClient::close);
        }
    }

    @Test
    void retryAfterALostReply_onceTheForkMovedOnAndMovedToItsArchive_isADuplicate() throws Exception {
        String database = db("forkexpectretry");
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient proxied = proxy.client();
                MongoConversationStore lossy = builder(proxied, database).maxHeadMessages(4).maxAttempts(1).build();
                MongoConversationStore other = builder(client, database).maxHeadMessages(4).build()) {
            List<String> parent = append(other, "p", "parent", 10);
            other.fork("p", 6, "f");
            AppendRequest mine = expecting("f", "mine", 6, "mine");
            proxy.arm(DROP_REPLY_AFTER_APPLY, "mine", 1);
            assertThatThrownBy(() -> lossy.appendMessages(mine)).isInstanceOf(ConversationStoreUnavailableException.class);
            assertThat(proxy.injected()).isEqualTo(1);
            // another writer expecting the same slot is refused, nothing written; then the fork moves on
            assertThatThrownBy(() -> other.appendMessages(expecting("f", "theirs", 6, "theirs")))
                    .isInstanceOfSatisfying(SequenceMismatchException.class, e -> assertThat(e.actualNextSequence()).isEqualTo(7));
            List<String> more = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                other.appendMessages(expecting("f", "more" + i, 7 + i, "more " + i));
                more.add("more " + i);
            }
            other.deleteConversation("p"); // the parent goes too: the fork's prefix stays

            AppendResult retried = lossy.appendMessages(mine); // its expectation is stale by 9
            assertThat(retried.duplicate()).isTrue();
            assertThat(retried.firstSequence()).isEqualTo(6);
            List<String> expected = new ArrayList<>(parent.subList(0, 6));
            expected.add("mine");
            expected.addAll(more);
            assertThat(texts(other, "f")).containsExactlyElementsOf(expected);
            assertThatThrownBy(() -> other.appendMessages(expecting("f", "stale", 6, "stale")))
                    .isInstanceOfSatisfying(SequenceMismatchException.class,
                            e -> assertThat(e.actualNextSequence()).isEqualTo(16));
            assertThat(other.findConversation("f").orElseThrow().messageCount()).isEqualTo(16);
        }
    }
}
