package io.github.conversationstore.issues;

import io.github.conversationstore.testing.CommandHooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.AppendErasedException;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 2: one append call drew its generation once, before its retries. When its first
 * attempt created the head and the reply was lost, the session was deleted, and a late mover of
 * that first life left a chunk, the retry re-created the head with the same generation and the
 * erased messages were read back into the new life.
 */
class GenerationReuseTest extends EmbeddedMongoTestBase {

    @Test
    void appendRetriedAfterLostReply_whileTheSessionIsDeleted_neverReadsTheErasedLifeBack() throws Exception {
        String collection = "gen" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        MongoCollection<Document> heads = client.getDatabase("issues").getCollection(collection);
        MongoCollection<Document> archive = client.getDatabase("issues").getCollection(collection + "_archive");
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient viaProxy = hooks.client(proxy.connectionString());
                MongoConversationStore writer = MongoConversationStore.builder().client(viaProxy).database("issues")
                        .collection(collection).maxHeadMessages(4).build();
                MongoConversationStore other = MongoConversationStore.builder().client(client).database("issues")
                        .collection(collection).maxHeadMessages(4).build()) {
            proxy.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
            // between the lost reply and the retry: the session is deleted, and a mover of the
            // deleted life, late, writes its chunk
            hooks.afterFailure(CommandHooks.command("findAndModify", collection), () -> {
                Object generation = heads.find(new Document("sessionId", "s")).first().get("generation");
                other.deleteConversation("s");
                List<Document> old = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    old.add(new Document("id", "old-" + i).append("role", "user").append("text", "OLD-LIFE " + i)
                            .append("timestamp", new java.util.Date()));
                }
                archive.insertOne(new Document("_id", new Document("s", "s").append("g", generation).append("q", 0L))
                        .append("sessionId", "s").append("generation", generation).append("endSeq", 8L)
                        .append("bytes", 800L).append("archivedAt", new java.util.Date()).append("messages", old));
            });

            // since issue 20 item 4 the retry, after the erasure, writes nothing: erasure is final
            assertThatThrownBy(() -> writer.appendMessages("s", "en", List.of(Message.user("new 0"))))
                    .isInstanceOf(AppendErasedException.class);
            for (int i = 1; i < 9; i++) {
                writer.appendMessages("s", "en", List.of(Message.user("new " + i)));
            }

            assertThat(proxy.injected()).isEqualTo(1);
            List<StoredMessage> all = writer.readMessages("s", 0, 100);
            assertThat(all).extracting(StoredMessage::text).allMatch(t -> t.startsWith("new "));
            assertThat(all).extracting(StoredMessage::text).containsExactly(
                    "new 1", "new 2", "new 3", "new 4", "new 5", "new 6", "new 7", "new 8");
            assertThat(writer.recentMessages("s", 9)).extracting(StoredMessage::text).containsExactlyElementsOf(
                    all.stream().map(StoredMessage::text).toList());
        }
    }
}
