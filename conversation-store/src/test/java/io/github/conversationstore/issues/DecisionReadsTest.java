package io.github.conversationstore.issues;

import io.github.conversationstore.testing.CommandHooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import com.mongodb.ReadPreference;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import java.time.Duration;
import java.util.List;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, items 7 and 9: internal reads that decide what to write inherited the client's read
 * preference (a lagging secondary made concurrent first messages fail, pages stop short and the
 * sweep delete live chunks), and archive chunks were written with the store's write concern even
 * when it was {@code w:1}, so a failover could roll a chunk back while its trim survived.
 */
class DecisionReadsTest extends EmbeddedMongoTestBase {

    private static boolean isRead(BsonDocument command) {
        return command.containsKey("find") || command.containsKey("aggregate") || command.containsKey("distinct")
                || command.containsKey("count");
    }

    @Test
    void everyReadOfTheStore_goesToThePrimaryWithMajorityReadConcern_whateverTheClientDefault() {
        String collection = "reads" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        try (MongoClient secondaryPreferred = hooks.client(server.connectionString(), ReadPreference.secondaryPreferred());
                MongoConversationStore store = MongoConversationStore.builder().client(secondaryPreferred)
                        .database("issues").collection(collection).maxHeadMessages(4).build()) {
            AppendRequest repeated = AppendRequest.builder("s", "en").appendId("a").messages(Message.user("x")).build();
            store.appendMessages(repeated);
            for (int i = 0; i < 10; i++) {
                store.appendMessages("s", "en", List.of(Message.user("m" + i))); // moves read the head
            }
            store.appendMessages(repeated); // conflict resolution reads the head and the archive
            store.recentMessages("s", 20);
            store.readMessages("s", 1, 20);
            store.findConversation("s");
            store.tryAcquireLease("s", "en", "h", Duration.ofSeconds(5));
            store.tryAcquireLease("s", "en", "other", Duration.ofSeconds(5));
            client.getDatabase("issues").getCollection(collection).deleteOne(new org.bson.Document("sessionId", "s"));
            store.removeOrphanedArchives();
            store.deleteConversation("s");

            List<BsonDocument> reads = hooks.started(DecisionReadsTest::isRead);
            assertThat(reads).hasSizeGreaterThan(10);
            for (BsonDocument read : reads) {
                // the driver sends $readPreference for anything but primary
                assertThat(read.containsKey("$readPreference")).as("read preference of %s", read.toJson()).isFalse();
                assertThat(read.getDocument("readConcern", new BsonDocument()).getString("level",
                        new org.bson.BsonString("none")).getValue()).as("read concern of %s", read.toJson()).isEqualTo("majority");
            }
            // the client's default is still used for the application's own reads
            secondaryPreferred.getDatabase("issues").getCollection(collection).find().first();
            assertThat(hooks.started(DecisionReadsTest::isRead).get(hooks.started(DecisionReadsTest::isRead).size() - 1)
                    .getDocument("$readPreference").getString("mode").getValue()).isEqualTo("secondaryPreferred");
        }
    }

    @Test
    void archiveChunks_areWrittenWithMajority_evenWhenTheStoreWritesWithW1() {
        String collection = "chunks" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        try (MongoClient observed = hooks.client(server.connectionString());
                MongoConversationStore store = MongoConversationStore.builder().client(observed).database("issues")
                        .collection(collection).writeConcern(WriteConcern.W1).maxHeadMessages(4).build()) {
            for (int i = 0; i < 10; i++) {
                store.appendMessages("s", "en", List.of(Message.user("m" + i)));
            }

            List<BsonDocument> chunkInserts = hooks.started(CommandHooks.command("insert", collection + "_archive"));
            assertThat(chunkInserts).isNotEmpty().allSatisfy(insert ->
                    assertThat(insert.getDocument("writeConcern").getString("w").getValue()).isEqualTo("majority"));
            assertThat(hooks.started(CommandHooks.command("findAndModify", collection))).isNotEmpty().allSatisfy(append ->
                    assertThat(append.getDocument("writeConcern").getInt32("w").getValue()).isEqualTo(1));
        }
    }
}
