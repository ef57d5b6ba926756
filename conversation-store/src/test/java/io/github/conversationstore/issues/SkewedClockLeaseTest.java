package io.github.conversationstore.issues;

import io.github.conversationstore.testing.CommandHooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 6: lease expiry and {@code updatedAt} were judged by each JVM's clock, so a JVM
 * whose clock ran 95 s ahead took a live 90 s lease. Time now comes from the database server.
 */
class SkewedClockLeaseTest extends EmbeddedMongoTestBase {

    private static MongoConversationStore store(String collection, Duration skew) {
        return MongoConversationStore.builder().client(client).database("issues").collection(collection)
                .clock(Clock.offset(Clock.systemUTC(), skew)).build();
    }

    @Test
    void jvmWhoseClockIsAhead_cannotTakeALiveLease() {
        String collection = "skew" + System.nanoTime();
        try (MongoConversationStore honest = store(collection, Duration.ZERO);
                MongoConversationStore ahead = store(collection, Duration.ofSeconds(95))) {
            assertThat(honest.tryAcquireLease("s", "en", "holder", Duration.ofSeconds(90))).isTrue();

            assertThat(ahead.tryAcquireLease("s", "en", "intruder", Duration.ofSeconds(90))).isFalse();
            assertThat(honest.renewLease("s", "holder", Duration.ofSeconds(90))).isTrue();
        }
    }

    @Test
    void leaseTakenByAJvmWhoseClockIsBehind_lastsItsFullDuration() {
        String collection = "skew" + System.nanoTime();
        try (MongoConversationStore honest = store(collection, Duration.ZERO);
                MongoConversationStore behind = store(collection, Duration.ofSeconds(-95))) {
            assertThat(behind.tryAcquireLease("s", "en", "holder", Duration.ofSeconds(60))).isTrue();

            assertThat(honest.tryAcquireLease("s", "en", "other", Duration.ofSeconds(60))).isFalse();
        }
    }

    @Test
    void updatedAt_followsTheServerClockWhateverTheJvmClock() {
        String collection = "skew" + System.nanoTime();
        try (MongoConversationStore behind = store(collection, Duration.ofHours(-3))) {
            Instant before = Instant.now();
            behind.appendMessages("s", "en", List.of(Message.user("hi")));
            Instant after = Instant.now();

            Document head = client.getDatabase("issues").getCollection(collection).find().first();
            // the retention TTL index judges updatedAt by the server's clock (the same as this test's)
            assertThat(head.getDate("updatedAt").toInstant()).isBetween(before.minusSeconds(5), after.plusSeconds(5));
            assertThat(behind.findConversation("s").orElseThrow().createdAt()).isBetween(before.minusSeconds(5), after.plusSeconds(5));
        }
    }
}
