package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: under contention one append gave up with {@code ConcurrentAppendException}
 * ("concurrent writers won every attempt") after its 8 attempts, long before its operation
 * deadline. Here the race is made to last: the head is full and another mover's claim on it
 * (written as a mover that died would leave it) holds for 1.5 s, so every attempt finds the head
 * full and cannot move it. The append must keep trying, backing off, until the claim expires and
 * its own move makes room, well within its 10 s deadline.
 */
class ContendedAppendGivesUpAfterEightAttemptsTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();

    @AfterAll
    static void stop() {
        SERVER.close();
    }

    @Test
    void appendToAHeadThatStaysFullForAWhile_waitsInsteadOfFailingWithARaceError() {
        String collection = "contended" + System.nanoTime();
        String big = "x".repeat(60_000);
        try (MongoClient plain = SERVER.client();
                MongoConversationStore store = MongoConversationStore.builder().client(plain).database("issues")
                        .collection(collection).maxDocumentBytes(1024 * 1024).maxHeadBytes(600_000)
                        .operationTimeout(Duration.ofSeconds(10)).build()) {
            store.appendMessages("s", "es", List.of(Message.user("first")));
            MongoCollection<Document> heads = plain.getDatabase("issues").getCollection(collection);
            // a mover that died holding the claim: nobody can move until it expires
            heads.updateOne(new Document("sessionId", "s"), new Document("$set",
                    new Document("moverUntil", new Date(System.currentTimeMillis() + 600_000))));
            int appended = 1;
            // fill the head past what an append of one more big message may find
            while (heads.find(new Document("sessionId", "s")).first().get("headBytes", Number.class).longValue()
                    < 1024 * 1024 - 256 * 1024 - 62_000) {
                store.appendMessages("s", "es", List.of(Message.user(big)));
                appended++;
            }
            heads.updateOne(new Document("sessionId", "s"), new Document("$set",
                    new Document("moverUntil", new Date(System.currentTimeMillis() + 1_500))));

            long start = System.nanoTime();
            AppendResult result = store.appendMessages("s", "es", List.of(Message.user(big)));

            assertThat(result.firstSequence()).isEqualTo(appended);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(9));
            assertThat(store.readMessages("s", appended, 1)).singleElement()
                    .satisfies(m -> assertThat(m.text()).isEqualTo(big));
        }
    }
}
