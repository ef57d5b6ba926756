package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Role;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 11: a message's size was estimated from its values' {@code toString()}, and a
 * {@code Date} prints in the JVM's time zone (108 bytes under UTC, 114 under Etc/GMT-5), so JVMs in
 * different zones drifted the head's byte counter. Sizes are estimated by BSON type now.
 */
@SuppressWarnings("deprecation") // the tutor attributes, deprecated in 0.3, keep working
class TimeZoneSizeEstimateTest extends EmbeddedMongoTestBase {

    private long headBytesOfOneAppendUnder(String zone, String collection, String session) {
        TimeZone saved = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone(zone));
        try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("issues")
                .collection(collection).build()) {
            store.appendMessages(session, "en", List.of(new Message("m-1", Role.USER, "same text",
                    Instant.parse("2026-05-01T10:00:00Z"), Map.of(Message.TRANSLATION, "même texte"))));
        } finally {
            TimeZone.setDefault(saved);
        }
        Document head = client.getDatabase("issues").getCollection(collection).find(new Document("sessionId", session)).first();
        return head.get("headBytes", Number.class).longValue();
    }

    @Test
    void headByteCount_isTheSameInEveryTimeZone() {
        String collection = "tz" + System.nanoTime();

        long utc = headBytesOfOneAppendUnder("UTC", collection, "a");
        long plusFive = headBytesOfOneAppendUnder("Etc/GMT-5", collection, "b");
        long pacific = headBytesOfOneAppendUnder("America/Los_Angeles", collection, "c");

        assertThat(plusFive).isEqualTo(utc);
        assertThat(pacific).isEqualTo(utc);
    }
}
