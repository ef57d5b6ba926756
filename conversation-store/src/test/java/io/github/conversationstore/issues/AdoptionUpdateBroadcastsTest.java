package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.ShardKeyChecker;
import java.util.List;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: adopting a document of the original backend updated it by {@code _id} alone, a
 * single-document update mongos refuses before MongoDB 7.1 on sharded heads (and sends to every
 * shard after).
 */
class AdoptionUpdateBroadcastsTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();

    @AfterAll
    static void stop() {
        SERVER.close();
    }

    @Test
    void adoption_updatesTheDocumentByItsSessionId() {
        String database = "adopt" + System.nanoTime();
        try (MongoClient plain = SERVER.client()) {
            plain.getDatabase(database).getCollection("conversations").insertOne(new Document("sessionId", "old")
                    .append("language", "es").append("messages", List.of(
                            new Document("_id", new ObjectId()).append("role", "user").append("text", "hola"),
                            new Document("_id", new ObjectId()).append("role", "bot").append("text", "buenas"))));
            ShardKeyChecker checker = Targeting.record(SERVER, client -> {
                try (MongoConversationStore store = MongoConversationStore.builder().client(client).database(database)
                        .forOriginalBackend().build()) {
                    store.appendMessages("old", "es", List.of(Message.user("otra")));
                    assertThat(store.readMessages("old", 0, 10)).hasSize(3);
                }
            });
            assertThat(checker.violations()).isEmpty();
        }
    }
}
