package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongoTestBase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoCollection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Conversations longer than a head: the move to the archive, its crash safety, the size bounds. */
class MongoArchiveTest extends EmbeddedMongoTestBase {

    private static String newCollection() {
        return "c" + System.nanoTime();
    }

    private static MongoConversationStore.Builder builder(String collection) {
        return MongoConversationStore.builder().client(client).database("archive").collection(collection);
    }

    private static MongoCollection<RawBsonDocument> raw(String collection) {
        return client.getDatabase("archive").getCollection(collection, RawBsonDocument.class);
    }

    private static List<Message> batch(long firstSeq, int size) {
        List<Message> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(Message.user("m" + (firstSeq + i)));
        }
        return out;
    }

    /** Checks that the session holds exactly messages "m0" ... "m{count-1}" at their sequence numbers. */
    private static void assertDenseHistory(ConversationStore store, String session, long count) {
        long next = 0;
        List<StoredMessage> page;
        do {
            page = store.readMessages(session, next, 997);
            for (StoredMessage m : page) {
                assertThat(m.sequence()).isEqualTo(next);
                assertThat(m.text()).isEqualTo("m" + next);
                next++;
            }
        } while (page.size() == 997);
        assertThat(next).isEqualTo(count);
        assertThat(store.findConversation(session).orElseThrow().messageCount()).isEqualTo(count);
    }

    @Test
    void session_ofOneHundredThousandMessages_readsAcrossArchiveWithBoundedDocuments() {
        String collection = newCollection();
        int total = 100_000;
        try (MongoConversationStore store = builder(collection).build()) {
            for (long seq = 0; seq < total; seq += 250) {
                AppendResult r = store.appendMessages("long", "en", batch(seq, 250));
                assertThat(r.firstSequence()).isEqualTo(seq);
            }

            assertThat(store.recentMessages("long", 20)).extracting(StoredMessage::sequence)
                    .containsExactlyElementsOf(seqs(total - 20, total));
            assertThat(store.recentMessages("long", 1000)).extracting(StoredMessage::text)
                    .first().isEqualTo("m" + (total - 1000));
            assertThat(store.readMessages("long", 12_345, 3)).extracting(StoredMessage::text)
                    .containsExactly("m12345", "m12346", "m12347");
            assertThat(store.readMessages("long", total - 2, 10)).hasSize(2);
            assertDenseHistory(store, "long", total);
        }
        long maxHead = 0;
        for (RawBsonDocument head : raw(collection).find()) {
            maxHead = Math.max(maxHead, head.getByteBuffer().remaining());
        }
        long maxChunk = 0;
        long chunks = 0;
        for (RawBsonDocument chunk : raw(collection + "_archive").find()) {
            maxChunk = Math.max(maxChunk, chunk.getByteBuffer().remaining());
            chunks++;
        }
        assertThat(maxHead).as("head bytes").isLessThan(256 * 1024 + 64 * 1024);
        assertThat(maxChunk).as("largest chunk bytes").isLessThan(8L * 1024 * 1024);
        assertThat(chunks).isGreaterThan(100);
    }

    private static List<Long> seqs(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i < to; i++) {
            out.add(i);
        }
        return out;
    }

    /** Stands for the process dying at a step of the move: an Error, which the store does not catch. */
    static final class SimulatedCrash extends Error {
        private static final long serialVersionUID = 1L;

        SimulatedCrash(String step) {
            super("simulated crash after step '" + step + "'");
        }
    }

    @ParameterizedTest(name = "crash after {0}")
    @ValueSource(strings = {"read", "copied", "trimmed"})
    void move_interruptedAfterEachStep_losesNothingAndALaterAppendFinishesIt(String step) throws InterruptedException {
        String collection = newCollection();
        long count = 0;
        try (MongoConversationStore dying = builder(collection).maxHeadMessages(10).build()) {
            dying.moveClaim(Duration.ofMillis(50)); // a dead mover's claim expires
            AtomicBoolean armed = new AtomicBoolean(true);
            dying.onMoveStep(reached -> {
                if (reached.equals(step) && armed.getAndSet(false)) {
                    throw new SimulatedCrash(step);
                }
            });
            boolean crashed = false;
            while (!crashed) {
                try {
                    dying.appendMessages("s", "en", batch(count, 3));
                } catch (SimulatedCrash e) {
                    crashed = true;
                }
                count += 3; // the append itself was applied before the move started
            }
            // the state the crash left: every message readable once, in order, prefix-consistent
            assertDenseHistory(dying, "s", count);
            assertThat(dying.recentMessages("s", 7)).extracting(StoredMessage::text).containsExactlyElementsOf(
                    seqs(count - 7, count).stream().map(i -> "m" + i).toList());
        }
        Thread.sleep(100);
        try (MongoConversationStore restarted = builder(collection).maxHeadMessages(10).build()) {
            // the next move threshold (every half bound above the bound) is passed within two appends
            for (int i = 0; i < 2; i++) {
                restarted.appendMessages("s", "en", batch(count, 3));
                count += 3;
            }

            assertDenseHistory(restarted, "s", count);
            Document head = client.getDatabase("archive").getCollection(collection).find().first();
            assertThat(HeadDocument.messages(head)).hasSizeLessThanOrEqualTo(10);
            // the chunks tile [0, headSeq) exactly: no message archived twice, none missing
            long expected = 0;
            for (Document chunk : client.getDatabase("archive").getCollection(collection + "_archive").find()
                    .sort(new Document(HeadDocument.END_SEQ, 1))) {
                assertThat(chunk.get("_id", Document.class).get(HeadDocument.CHUNK_FIRST_SEQ, Number.class).longValue())
                        .isEqualTo(expected);
                expected = chunk.get(HeadDocument.END_SEQ, Number.class).longValue();
            }
            assertThat(expected).isEqualTo(head.get(HeadDocument.HEAD_SEQ, Number.class).longValue());
        }
    }

    @Test
    void appendMessages_whileMovesFail_neverLetsAHeadPassTheHardBound() {
        String collection = newCollection();
        String text = "x".repeat(60 * 1024);
        AtomicBoolean movesFail = new AtomicBoolean(true);
        try (MongoConversationStore store = builder(collection).maxDocumentBytes(1024 * 1024).build()) {
            store.onMoveStep(step -> {
                if (movesFail.get()) {
                    throw new IllegalStateException("archive unavailable");
                }
            });
            int stored = 0;
            int refused = 0;
            for (int i = 0; i < 30; i++) {
                try {
                    store.appendMessages("big", "en", List.of(Message.user(text)));
                    stored++;
                } catch (ConversationStoreException e) {
                    refused++;
                }
            }
            RawBsonDocument head = raw(collection).find().first();
            assertThat(head.getByteBuffer().remaining()).isLessThan(1024 * 1024);
            assertThat(refused).isPositive();
            assertThat(store.findConversation("big").orElseThrow().messageCount()).isEqualTo(stored);

            movesFail.set(false);
            store.appendMessages("big", "en", List.of(Message.user(text)));
            assertThat(store.findConversation("big").orElseThrow().messageCount()).isEqualTo(stored + 1L);
            assertThat(store.readMessages("big", 0, 100)).hasSize(stored + 1);
        }
    }

    @Test
    void appendMessages_batchThatCanNeverFit_rejectedUpFrontAsTooLarge() {
        String collection = newCollection();
        try (MongoConversationStore store = builder(collection).maxDocumentBytes(1024 * 1024).build()) {
            List<Message> batch = java.util.Collections.nCopies(20, Message.user("y".repeat(60 * 1024)));

            assertThatThrownBy(() -> store.appendMessages("s", "en", batch))
                    .isInstanceOf(ConversationTooLargeException.class)
                    .hasMessageContaining("maxDocumentBytes");
            assertThat(store.findConversation("s")).isEmpty();
        }
    }

    @Test
    void deleteConversation_withArchive_erasesEveryDocumentAndCountsEveryMessage() {
        String collection = newCollection();
        try (MongoConversationStore store = builder(collection).maxHeadMessages(8).build()) {
            for (long seq = 0; seq < 100; seq += 5) {
                store.appendMessages("gone", "en", batch(seq, 5));
            }
            store.appendMessages("kept", "en", batch(0, 20));

            assertThat(store.deleteConversation("gone")).isEqualTo(100);

            MongoCollection<Document> archive = client.getDatabase("archive").getCollection(collection + "_archive");
            assertThat(archive.countDocuments(new Document(HeadDocument.SESSION_ID, "gone"))).isZero();
            assertThat(archive.countDocuments(new Document(HeadDocument.SESSION_ID, "kept"))).isPositive();
            assertThat(store.readMessages("gone", 0, 100)).isEmpty();
            assertThat(store.appendMessages("gone", "en", batch(0, 1)).firstSequence()).isZero();
            assertDenseHistory(store, "kept", 20);
        }
    }
}
