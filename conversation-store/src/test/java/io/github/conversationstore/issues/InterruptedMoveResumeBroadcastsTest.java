package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.ShardKeyChecker;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: resuming an interrupted move (its chunk written, its trim not) looked the chunk up by
 * {@code _id} alone, a query mongos sends to every shard of the archive.
 */
class InterruptedMoveResumeBroadcastsTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();

    @AfterAll
    static void stop() {
        SERVER.close();
    }

    @Test
    void resumedMove_looksTheChunkUpWithTheSessionId() {
        String collection = "resume" + System.nanoTime();
        try (MongoClient plain = SERVER.client()) {
            ShardKeyChecker checker = Targeting.record(SERVER, client -> {
                try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("issues")
                        .collection(collection).maxHeadMessages(4).build()) {
                    store.appendMessages("s", "es", List.of(Message.user("q0"), Message.assistant("a0")));
                    // what a mover that died after copying left behind: the chunk at headSeq 0
                    Document head = plain.getDatabase("issues").getCollection(collection)
                            .find(new Document("sessionId", "s")).first();
                    List<Document> messages = head.getList("messages", Document.class);
                    plain.getDatabase("issues").getCollection(collection + "_archive").insertOne(
                            new Document("_id", new Document("s", "s").append("g", head.get("generation")).append("q", 0L))
                                    .append("sessionId", "s").append("generation", head.get("generation"))
                                    .append("endSeq", 1L).append("bytes", 100L).append("messages", messages.subList(0, 1)));
                    for (int i = 1; i < 4; i++) {
                        store.appendMessages("s", "es", List.of(Message.user("q" + i), Message.assistant("a" + i)));
                    }
                    assertThat(store.readMessages("s", 0, 100)).extracting(m -> m.message().text())
                            .containsExactly("q0", "a0", "q1", "a1", "q2", "a2", "q3", "a3");
                }
            });
            assertThat(checker.violations()).isEmpty();
            assertThat(plain.getDatabase("issues").getCollection(collection + "_archive")
                    .countDocuments(new Document("_id.q", 0L).append("endSeq", 1L))).isEqualTo(1);
        }
    }
}
