package io.github.conversationstore.issues;

import io.github.conversationstore.testing.CommandHooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 1: the retention sweep deleted a re-created session's archive (it decided by a
 * timestamp, with the writer's clock behind), and it could not list more than about 340k sessions.
 */
class RetentionSweepTest extends EmbeddedMongoTestBase {

    private static MongoConversationStore.Builder store(MongoClient client, String collection) {
        return MongoConversationStore.builder().client(client).database("issues").collection(collection).maxHeadMessages(4);
    }

    private static List<Message> pair(String prefix, int i) {
        return List.of(Message.user(prefix + " " + (2 * i)), Message.assistant(prefix + " " + (2 * i + 1)));
    }

    @Test
    void sweep_whileTheExpiredSessionIsRecreatedAndArchived_keepsEveryMessageOfTheNewLife() {
        String collection = "sweep" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        try (MongoClient sweeperClient = hooks.client(server.connectionString());
                MongoConversationStore sweeper = store(sweeperClient, collection).build();
                MongoConversationStore writer = store(client, collection)
                        .clock(Clock.offset(Clock.systemUTC(), Duration.ofSeconds(-2))).build()) {
            for (int i = 0; i < 4; i++) {
                writer.appendMessages("s", "en", pair("old", i));
            }
            // the TTL monitor deletes the idle head (retention deletes heads only)
            client.getDatabase("issues").getCollection(collection).deleteOne(new Document("sessionId", "s"));
            // right after the sweep read the heads, the session is re-created and archived again
            hooks.afterSuccess(CommandHooks.command("find", collection), () -> {
                for (int i = 0; i < 4; i++) {
                    writer.appendMessages("s", "en", pair("new", i));
                }
            });

            long removed = sweeper.removeOrphanedArchives();

            List<StoredMessage> all = writer.readMessages("s", 0, 100);
            assertThat(all).extracting(StoredMessage::text)
                    .containsExactly("new 0", "new 1", "new 2", "new 3", "new 4", "new 5", "new 6", "new 7");
            assertThat(writer.findConversation("s").orElseThrow().messageCount()).isEqualTo(8);
            assertThat(removed).isPositive(); // the old life's chunks
            assertThat(sweeper.removeOrphanedArchives()).isZero();
            assertThat(writer.readMessages("s", 0, 100)).hasSize(8);
        }
    }

    @Test
    void sweep_overManySessions_removesExactlyTheDeadGenerationsWithoutListingAllSessionsAtOnce() {
        String collection = "many" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        int sessions = 600;
        try (MongoClient sweeperClient = hooks.client(server.connectionString());
                MongoConversationStore sweeper = store(sweeperClient, collection).build();
                MongoConversationStore writer = store(client, collection).build()) {
            for (int s = 0; s < sessions; s++) {
                for (int i = 0; i < 3; i++) {
                    writer.appendMessages("session-" + s, "en", pair("m", i));
                }
            }
            MongoCollection<Document> heads = client.getDatabase("issues").getCollection(collection);
            MongoCollection<Document> archive = client.getDatabase("issues").getCollection(collection + "_archive");
            long chunksOfDead = 0;
            for (int s = 0; s < sessions; s += 2) {
                heads.deleteOne(new Document("sessionId", "session-" + s)); // expired
                chunksOfDead += archive.countDocuments(new Document("sessionId", "session-" + s));
            }
            long chunksBefore = archive.countDocuments();
            hooks.clear();

            long removed = sweeper.removeOrphanedArchives();

            assertThat(removed).isEqualTo(chunksOfDead).isPositive();
            assertThat(archive.countDocuments()).isEqualTo(chunksBefore - chunksOfDead);
            for (int s = 1; s < sessions; s += 50) {
                assertThat(writer.readMessages("session-" + s, 0, 100)).hasSize(6);
            }
            // no command whose reply would hold every session (distinct is capped at 16 MiB)
            assertThat(hooks.started(c -> c.containsKey("distinct"))).isEmpty();
            assertThat(hooks.started(c -> c.containsKey("aggregate"))).isEmpty();
        }
    }
}
