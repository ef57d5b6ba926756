package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import com.mongodb.client.MongoClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 10: every appender that saw a full head ran the move, so 16 writers making 640
 * appends read the whole head 129 times and inserted 129 chunks (108 of them refused with E11000)
 * for 21 chunks. Only the append whose batch crosses a threshold moves now.
 */
class MoverHerdTest extends EmbeddedMongoTestBase {

    @Test
    void sixteenWriters_moveOncePerChunk_notOncePerAppender() throws Exception {
        String collection = "herd" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        try (MongoClient observed = hooks.client(server.connectionString());
                MongoConversationStore store = MongoConversationStore.builder().client(observed).database("issues")
                        .collection(collection).maxHeadMessages(64).build()) {
            ExecutorService pool = Executors.newFixedThreadPool(16);
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 16; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    for (int i = 0; i < 40; i++) {
                        store.appendMessages("s", "en", List.of(Message.user("w" + writer + " q" + i),
                                Message.assistant("w" + writer + " a" + i)));
                    }
                    return null;
                }));
            }
            for (Future<?> f : writers) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();

            long chunks = observed.getDatabase("issues").getCollection(collection + "_archive").countDocuments();
            List<BsonDocument> chunkInserts = hooks.started(CommandHooks.command("insert", collection + "_archive"));
            List<BsonDocument> headReads = hooks.started(c -> (CommandHooks.command("find", collection).test(c)
                    || CommandHooks.command("findAndModify", collection).test(c))
                    && c.getDocument(c.containsKey("fields") ? "fields" : "projection", new BsonDocument()).containsKey("messages")
                    && !c.getDocument(c.containsKey("fields") ? "fields" : "projection").get("messages").isDocument());
            System.out.printf("16 writers, 640 appends: %d chunks, %d chunk inserts, %d whole-head reads (some lose the claim)%n",
                    chunks, chunkInserts.size(), headReads.size());
            assertThat(chunks).isGreaterThan(10);
            // one mover per chunk: appenders passing a threshold while a move is under way leave it to that mover
            assertThat((long) chunkInserts.size()).isEqualTo(chunks);
            // one claim (and head read) per threshold passed: every half bound (32 messages)
            assertThat(headReads.size()).isLessThanOrEqualTo(1280 / 32 + 2);
            List<StoredMessage> all = store.readMessages("s", 0, 2000);
            assertThat(all).hasSize(1280);
        }
    }
}
