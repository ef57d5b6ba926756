package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongoTestBase;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoCollection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Retention by inactivity. The embedded server creates TTL indexes but has no TTL monitor, so the
 * monitor's single action (delete heads whose {@code updatedAt} is older than the expiry) is
 * performed here with the raw driver, exactly as MongoDB would.
 */
class MongoRetentionTest extends EmbeddedMongoTestBase {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        private volatile Instant now = Instant.parse("2026-11-28T12:00:00Z");
        private volatile long advancedNanos;

        void advance(Duration d) {
            now = now.plus(d);
            advancedNanos += d.toNanos();
        }

        /** The monotonic clock moved with this one: the server's time is extrapolated with it. */
        long nanos() {
            return System.nanoTime() + advancedNanos;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private static void ttlMonitorPass(MongoCollection<Document> heads, Instant now, Duration expiry) {
        heads.deleteMany(new Document(HeadDocument.UPDATED_AT, new Document("$lt", Date.from(now.minus(expiry)))));
    }

    private static List<Message> batch(int from, int n) {
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Message.user("m" + (from + i)));
        }
        return out;
    }

    @Test
    void expireAfterInactivity_createsTtlIndexOnHeadUpdatedAtOnly() {
        String collection = "ttl" + System.nanoTime();
        try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("retention")
                .collection(collection).expireAfterInactivity(Duration.ofDays(30)).build()) {
            store.appendMessages("s", "en", batch(0, 1));
        }
        List<Document> headIndexes = client.getDatabase("retention").getCollection(collection).listIndexes().into(new ArrayList<>());
        assertThat(headIndexes).anySatisfy(index -> {
            assertThat(index.get("key", Document.class)).isEqualTo(new Document(HeadDocument.UPDATED_AT, 1));
            assertThat(((Number) index.get("expireAfterSeconds")).longValue()).isEqualTo(Duration.ofDays(30).getSeconds());
        });
        List<Document> archiveIndexes = client.getDatabase("retention").getCollection(collection + "_archive")
                .listIndexes().into(new ArrayList<>());
        assertThat(archiveIndexes).noneSatisfy(index -> assertThat(index.containsKey("expireAfterSeconds")).isTrue());
    }

    @Test
    void idleSession_disappearsEntirely_activeSessionKeepsItsBeginning() {
        String collection = "ttl" + System.nanoTime();
        Duration expiry = Duration.ofHours(1);
        ManualClock clock = new ManualClock();
        MongoCollection<Document> heads = client.getDatabase("retention").getCollection(collection);
        MongoCollection<Document> archive = client.getDatabase("retention").getCollection(collection + "_archive");
        try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("retention")
                .collection(collection).clock(clock).nanoTime(clock::nanos).maxHeadMessages(6)
                .expireAfterInactivity(expiry).build()) {
            for (int i = 0; i < 40; i += 4) {
                store.appendMessages("idle", "en", batch(i, 4));
                store.appendMessages("active", "en", batch(i, 4));
            }
            store.writeSummary("idle", Summary.of(0, 20, "what idle said", 5));
            store.writeSummary("active", Summary.of(0, 20, "what active said", 5));
            MongoCollection<Document> summaries = client.getDatabase("retention").getCollection(collection + "_summaries");
            // "active" keeps talking, once every 40 minutes, for five hours; "idle" says nothing
            for (int step = 0; step < 8; step++) {
                clock.advance(Duration.ofMinutes(40));
                store.appendMessages("active", "en", batch(40 + step, 1));
                // the TTL monitor judges by the server's time, which the store's timestamps follow
                ttlMonitorPass(heads, store.serverClock().now(), expiry);
                store.removeOrphanedArchives();
            }

            assertThat(store.findConversation("idle")).isEmpty();
            assertThat(heads.countDocuments(new Document(HeadDocument.SESSION_ID, "idle"))).isZero();
            assertThat(archive.countDocuments(new Document(HeadDocument.SESSION_ID, "idle"))).isZero();
            assertThat(summaries.countDocuments(new Document(HeadDocument.SESSION_ID, "idle"))).as("summaries of idle").isZero();
            assertThat(store.summaries("active")).extracting(x -> x.message().text()).containsExactly("what active said");

            List<StoredMessage> active = store.readMessages("active", 0, 100);
            assertThat(active).hasSize(48);
            assertThat(active.get(0).text()).isEqualTo("m0");
            assertThat(archive.countDocuments(new Document(HeadDocument.SESSION_ID, "active"))).isPositive();
        }
    }

    @Test
    void removeOrphanedArchives_removesChunksWrittenByAMoveRacingADelete() {
        String collection = "orphan" + System.nanoTime();
        MongoCollection<Document> archive = client.getDatabase("retention").getCollection(collection + "_archive");
        ManualClock clock = new ManualClock();
        try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("retention")
                .collection(collection).clock(clock).maxHeadMessages(4).build()) {
            store.appendMessages("s", "en", batch(0, 3));
            // the session is deleted after a move read the head and before it copies the chunk
            store.onMoveStep(step -> {
                if (step.equals("read")) {
                    store.onMoveStep(ignored -> { });
                    store.deleteConversation("s");
                }
            });
            store.appendMessages("s", "en", batch(3, 3));
            store.onMoveStep(ignored -> { });
            assertThat(archive.countDocuments()).as("the orphan chunk").isEqualTo(1);

            store.appendMessages("s", "en", batch(100, 2)); // a new conversation under the same id
            assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("m100", "m101");

            clock.advance(Duration.ofSeconds(1));
            assertThat(store.removeOrphanedArchives()).isEqualTo(1);
            assertThat(archive.countDocuments()).isZero();
            assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("m100", "m101");
        }
    }
}
