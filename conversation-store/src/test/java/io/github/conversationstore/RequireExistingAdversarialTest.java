package io.github.conversationstore;

import static io.github.conversationstore.testing.FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Adversarial review of {@link AppendRequest#requireExisting()} on the Mongo store: lost replies
 * and retries, erasures in between, the original backend's documents, leases, tombstones,
 * retention, encryption, tiny heads and expected sequences. Every case is deterministic.
 */
class RequireExistingAdversarialTest extends EmbeddedMongoTestBase {
    private FaultInjectingProxy proxy;
    private MongoClient proxied;
    private String database;
    private String collection;

    @BeforeEach
    void connectThroughProxy() throws Exception {
        proxy = new FaultInjectingProxy(server.port());
        proxied = proxy.client();
        database = "reqex" + System.nanoTime();
        collection = "conversations";
    }

    @AfterEach
    void disconnect() throws Exception {
        proxied.close();
        proxy.close();
        client.getDatabase(database).drop();
    }

    private MongoConversationStore.Builder builder(MongoClient c) {
        return MongoConversationStore.builder().client(c).database(database).collection(collection)
                .operationTimeout(Duration.ofSeconds(5));
    }

    private MongoCollection<Document> heads() {
        return client.getDatabase(database).getCollection(collection);
    }

    private Document rawHead(String sessionId) {
        return heads().find(new Document("sessionId", sessionId)).first();
    }

    private static AppendRequest existing(String sessionId, String appendId, String text) {
        return AppendRequest.builder(sessionId, "en").appendId(appendId).requireExisting().messages(Message.user(text))
                .build();
    }

    private static List<String> texts(ConversationStore store, String sessionId) {
        List<String> out = new ArrayList<>();
        List<StoredMessage> page;
        do {
            page = store.readMessages(sessionId, out.size(), 100);
            page.forEach(m -> out.add(m.text()));
        } while (page.size() == 100);
        return out;
    }

    @Test
    void replyLost_thenRetried_isStoredOnce_andTheRetryIsADuplicate() {
        try (MongoConversationStore store = builder(proxied).build()) {
            store.appendMessages("s", "en", List.of(Message.user("one")));
            proxy.arm(DROP_REPLY_AFTER_APPLY, "findAndModify", 1);

            AppendResult first = store.appendMessages(existing("s", "a-2", "two"));
            AppendResult again = store.appendMessages(existing("s", "a-2", "two"));

            assertThat(proxy.injected()).isEqualTo(1);
            assertThat(first.firstSequence()).isEqualTo(1);
            assertThat(first.duplicate()).isFalse(); // its own lost attempt, found applied
            assertThat(again.duplicate()).isTrue();
            assertThat(texts(store, "s")).containsExactly("one", "two");
        }
    }

    @Test
    void replyLost_thenTheSessionIsDeleted_thenRetried_isErased_neverRevived() {
        try (MongoConversationStore once = builder(proxied).maxAttempts(1).build();
                MongoConversationStore store = builder(client).build()) {
            store.appendMessages("s", "en", List.of(Message.user("one")));
            proxy.arm(DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
            assertThatThrownBy(() -> once.appendMessages(existing("s", "a-2", "two")))
                    .isInstanceOf(ConversationStoreUnavailableException.class); // outcome unknown: it was applied
            assertThat(store.deleteConversation("s")).isEqualTo(2);

            assertThatThrownBy(() -> store.appendMessages(existing("s", "a-2", "two")))
                    .isInstanceOf(AppendErasedException.class);
            assertThatThrownBy(() -> store.appendMessages(existing("s", "a-3", "three")))
                    .isInstanceOf(ConversationNotFoundException.class);
            assertThat(store.findConversation("s")).isEmpty();
            assertThat(texts(store, "s")).isEmpty();
        }
    }

    @Test
    void fenced_replyLost_thenRetried_isStoredOnce_andAStaleHoldersRetryNeverWrites() {
        try (MongoConversationStore store = builder(proxied).build()) {
            store.appendMessages("s", "en", List.of(Message.user("one")));
            assertThat(store.tryAcquireLease("s", "en", "worker-1", Duration.ofMinutes(1))).isTrue();
            AppendRequest fenced = AppendRequest.builder("s", "en").appendId("f-2").requireExisting().leaseHolder("worker-1")
                    .renewLease(Duration.ofMinutes(2)).messages(Message.user("two")).build();
            proxy.arm(DROP_REPLY_AFTER_APPLY, "findAndModify", 1);

            assertThat(store.appendMessages(fenced).firstSequence()).isEqualTo(1);
            assertThat(store.appendMessages(fenced).duplicate()).isTrue();
            store.releaseLease("s", "worker-1");
            assertThat(store.tryAcquireLease("s", "en", "worker-2", Duration.ofMinutes(1))).isTrue();
            assertThatThrownBy(() -> store.appendMessages(fenced)).isInstanceOf(LeaseLostException.class);
            assertThat(texts(store, "s")).containsExactly("one", "two");
        }
    }

    /**
     * Seeded random faults (lost replies, resets, held replies) on every command: an append that may
     * or may not have applied, then the session deleted, then the append retried until the store
     * answers: erased if it had applied, not found if not; never a second copy, never a new life.
     */
    @Test
    void randomFaults_appendThenDeleteThenRetry_isErasedOrNotFound_neverRevived() {
        try (MongoConversationStore faulty = builder(proxied).maxAttempts(2).build();
                MongoConversationStore direct = builder(client).build()) {
            proxy.startRandom(new FaultInjectingProxy.RandomFaults(26, 0.2, 0.1, 0.1, 0,
                    Duration.ofMillis(20), Duration.ofMillis(60), Duration.ZERO));
            int applied = 0;
            for (int round = 0; round < 12; round++) {
                String id = "rf-" + round;
                direct.appendMessages(id, "en", List.of(Message.user("one")));
                AppendRequest request = existing(id, "a-" + round, "two");
                try {
                    faulty.appendMessages(request);
                } catch (ConversationStoreUnavailableException outcomeUnknown) {
                    // applied or not: the read below tells
                }
                boolean wasApplied = direct.readMessages(id, 0, 10).size() == 2;
                applied += wasApplied ? 1 : 0;
                direct.deleteConversation(id);
                RuntimeException answer = null;
                for (int attempt = 0; attempt < 50 && answer == null; attempt++) {
                    try {
                        faulty.appendMessages(request);
                        throw new AssertionError("round " + round + ": the retry was stored after the delete");
                    } catch (ConversationStoreUnavailableException again) {
                        // no answer yet
                    } catch (AppendErasedException | ConversationNotFoundException e) {
                        answer = e;
                    }
                }
                assertThat(answer).as("round %d (applied before the delete: %s)", round, wasApplied)
                        .isInstanceOf(wasApplied ? AppendErasedException.class : ConversationNotFoundException.class);
                assertThat(direct.findConversation(id)).as("round %d", round).isEmpty();
                assertThat(direct.readMessages(id, 0, 10)).as("round %d", round).isEmpty();
            }
            proxy.stopRandom();
            assertThat(proxy.injected()).isPositive();
            assertThat(applied).as("rounds applied before the delete").isPositive();
        }
    }

    @Test
    void onTheOriginalBackendsDocument_notYetAdopted_appendsAfterItsMessages() {
        heads().insertOne(new Document("sessionId", "old").append("language", "es").append("messages",
                List.of(oldMessage("hola"))).append("createdAt", new Date()));
        try (MongoConversationStore store = builder(client).forOriginalBackend().build()) {
            assertThat(store.appendMessages(existing("old", "a", "nuevo")).firstSequence()).isEqualTo(1);
            assertThat(texts(store, "old")).containsExactly("hola", "nuevo");
        }
    }

    /**
     * The old backend created the conversation empty (it looked it up, then inserted it), the
     * store adopted it while empty, then the old backend pushed a message: the head counts none
     * of its own, but the conversation exists.
     */
    @Test
    void onAnAdoptedHead_thatOnlyTheOldBackendWroteMessagesTo_appends_withinTheDeadline() {
        heads().insertOne(new Document("sessionId", "old").append("language", "es").append("messages", List.of())
                .append("createdAt", new Date()));
        try (MongoConversationStore store = builder(client).forOriginalBackend().build()) {
            // adopted while empty (and refused: it holds nothing yet)
            assertThatThrownBy(() -> store.appendMessages(existing("old", "a-0", "too early")))
                    .isInstanceOf(ConversationNotFoundException.class);
            assertThat(rawHead("old").get("headBytes")).as("adopted").isNotNull();
            heads().updateOne(new Document("sessionId", "old"), new Document("$push", new Document("messages",
                    oldMessage("hola"))));

            long started = System.nanoTime();
            AppendResult result = store.appendMessages(existing("old", "a-1", "nuevo"));

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
            assertThat(result.firstSequence()).isEqualTo(1);
            assertThat(texts(store, "old")).containsExactly("hola", "nuevo");
        }
    }

    private static Document oldMessage(String text) {
        return new Document("_id", new ObjectId()).append("role", "user").append("text", text)
                .append("timestamp", new Date());
    }

    @Test
    void onAHeadHoldingOnlyALease_withEncryption_isRefused_andWritesNothing_notEvenADataKey() {
        try (MongoConversationStore store = builder(client).encryption(TestKeys.provider()).build()) {
            assertThat(store.tryAcquireLease("s", "en", "worker-1", Duration.ofMinutes(1))).isTrue();
            Document before = rawHead("s");

            assertThatThrownBy(() -> store.appendMessages(existing("s", "a", "hello?")))
                    .isInstanceOf(ConversationNotFoundException.class);
            AppendRequest fenced = AppendRequest.builder("s", "en").appendId("b").requireExisting()
                    .leaseHolder("worker-1").messages(Message.user("fenced hello?")).build();
            assertThatThrownBy(() -> store.appendMessages(fenced)).isInstanceOf(ConversationNotFoundException.class);

            assertThat(rawHead("s")).isEqualTo(before);
        }
    }

    @Test
    void onATombstoneWithALeaseHeld_isRefused_fencedOrNot_andWritesNothing() {
        try (MongoConversationStore store = builder(client).build()) {
            store.appendMessages("s", "en", List.of(Message.user("one")));
            store.deleteConversation("s");
            assertThat(store.tryAcquireLease("s", "en", "worker-1", Duration.ofMinutes(1))).isTrue();
            Document before = rawHead("s");
            assertThat(before.get("erasedAt")).as("a tombstone").isNotNull();

            assertThatThrownBy(() -> store.appendMessages(existing("s", "a", "hello?")))
                    .isInstanceOf(ConversationNotFoundException.class);
            AppendRequest fenced = AppendRequest.builder("s", "en").appendId("b").requireExisting()
                    .leaseHolder("worker-1").renewLease(Duration.ofMinutes(5)).messages(Message.user("fenced")).build();
            assertThatThrownBy(() -> store.appendMessages(fenced)).isInstanceOf(ConversationNotFoundException.class);
            AppendRequest expecting = AppendRequest.builder("s", "en").appendId("c").requireExisting()
                    .expectedSequence(1).messages(Message.user("expecting")).build();
            assertThatThrownBy(() -> store.appendMessages(expecting)).isInstanceOf(ConversationNotFoundException.class);

            assertThat(rawHead("s")).isEqualTo(before);
            assertThat(store.findConversation("s")).isEmpty();
        }
    }

    @Test
    void onASessionRemovedByRetention_isRefused_alsoARetryOfAnArchivedAppend_andNothingIsCreated() {
        try (MongoConversationStore store = builder(client).maxHeadMessages(2).build()) {
            store.appendMessages("s", "en", List.of(Message.user("one")));
            for (int i = 0; i < 6; i++) {
                store.appendMessages(existing("s", "a-" + i, "m" + i));
            }
            // the TTL index deletes only heads: the archive stays until swept
            heads().deleteOne(new Document("sessionId", "s"));

            AppendRequest retry = AppendRequest.builder("s", "en").appendId("a-0").requireExisting()
                    .dedupBeyondWindow(true).messages(Message.user("m0")).build();
            assertThatThrownBy(() -> store.appendMessages(retry)).isInstanceOf(ConversationNotFoundException.class);
            assertThatThrownBy(() -> store.appendMessages(existing("s", "a-9", "late")))
                    .isInstanceOf(ConversationNotFoundException.class);
            assertThat(rawHead("s")).isNull();
            assertThat(store.findConversation("s")).isEmpty();
        }
    }

    @Test
    void withTinyHeads_andEncryption_retriesBeyondTheHead_areDuplicates_andExpectedSequencesHold() {
        try (MongoConversationStore store = builder(proxied).maxHeadMessages(2).encryption(TestKeys.provider()).build()) {
            store.appendMessages("s", "en", List.of(Message.user("m")));
            for (int i = 0; i < 9; i++) {
                if (i % 3 == 1) {
                    proxy.arm(DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
                }
                AppendRequest request = AppendRequest.builder("s", "en").appendId("a-" + i).requireExisting()
                        .expectedSequence(i + 1).dedupBeyondWindow(true).messages(Message.user("m" + i)).build();
                assertThat(store.appendMessages(request).firstSequence()).isEqualTo(i + 1);
            }
            for (int i = 0; i < 9; i++) {
                AppendRequest retry = AppendRequest.builder("s", "en").appendId("a-" + i).requireExisting()
                        .dedupBeyondWindow(true).messages(Message.user("m" + i)).build();
                AppendResult result = store.appendMessages(retry);
                assertThat(result.duplicate()).as("retry %d", i).isTrue();
                assertThat(result.firstSequence()).isEqualTo(i + 1);
            }
            assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s", "en").appendId("stale")
                    .requireExisting().expectedSequence(3).messages(Message.user("stale")).build()))
                    .isInstanceOfSatisfying(SequenceMismatchException.class,
                            e -> assertThat(e.actualNextSequence()).isEqualTo(10));
            assertThat(texts(store, "s")).containsExactly("m", "m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8");
            assertThat(rawHead("s").getList("messages", Document.class)).hasSizeLessThanOrEqualTo(2);
        }
    }
}
