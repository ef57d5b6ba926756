package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bson.BsonDocument;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Review (attack that held): a delete lands between a mover's read of the head and its copy, so
 * the mover writes a chunk of the erased generation after the delete removed the archive. The new
 * life is then filled past several moves; no page, prompt window, header or dedupBeyondWindow
 * retry shows an erased message, and the sweep removes the orphan without touching live chunks.
 */
class DeleteRacingAMoveTest extends EmbeddedMongoTestBase {

    private static boolean isClaim(BsonDocument c) {
        return c.containsKey("findAndModify") && c.containsKey("update") && c.get("update").isDocument()
                && c.getDocument("update").containsKey("$set") && c.getDocument("update").getDocument("$set").containsKey("moverUntil");
    }

    @Test
    void moveOfTheErasedLife_afterTheDelete_neverShowsAnErasedMessage() {
        String collection = "deleteMove" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        try (MongoClient hooked = hooks.client(server.connectionString());
                MongoConversationStore mover = MongoConversationStore.builder().client(hooked).database("review")
                        .collection(collection).maxHeadMessages(8).build();
                MongoConversationStore other = MongoConversationStore.builder().client(client).database("review")
                        .collection(collection).maxHeadMessages(8).createIndexes(false).build()) {
            for (int i = 0; i < 8; i++) {
                mover.appendMessages(AppendRequest.builder("s", "en").appendId("old-" + i)
                        .messages(Message.user("erased " + i)).build());
            }
            AtomicBoolean deleted = new AtomicBoolean();
            hooks.afterSuccess(DeleteRacingAMoveTest::isClaim, () -> {
                other.deleteConversation("s");
                other.appendMessages("s", "en", List.of(Message.user("new 0")));
                deleted.set(true);
            });
            mover.appendMessages(AppendRequest.builder("s", "en").appendId("old-8").messages(Message.user("erased 8")).build());
            assertThat(deleted).isTrue();
            long orphans = client.getDatabase("review").getCollection(collection + "_archive")
                    .countDocuments(new Document("sessionId", "s"));
            assertThat(orphans).as("the raced move wrote a chunk of the erased life after the delete").isEqualTo(1);

            List<String> expected = new ArrayList<>(List.of("new 0"));
            for (int i = 1; i < 60; i++) {
                mover.appendMessages("s", "en", List.of(Message.user("new " + i)));
                expected.add("new " + i);
            }
            assertThat(readAll(mover)).containsExactlyElementsOf(expected);
            assertThat(mover.recentMessages("s", 100)).extracting(StoredMessage::text).containsExactlyElementsOf(expected);
            assertThat(mover.findConversation("s").orElseThrow().messageCount()).isEqualTo(60);
            for (int i = 0; i < 8; i++) {
                AppendRequest retry = AppendRequest.builder("s", "en").appendId("old-" + i).dedupBeyondWindow(true)
                        .messages(Message.user("erased " + i)).build();
                assertThatThrownBy(() -> mover.appendMessages(retry)).isInstanceOf(AppendErasedException.class);
            }
            long swept = mover.removeOrphanedArchives();
            assertThat(swept).as("the orphan, and no live chunk").isEqualTo(1);
            assertThat(readAll(mover)).containsExactlyElementsOf(expected);
        }
    }

    private static List<String> readAll(MongoConversationStore store) {
        List<String> texts = new ArrayList<>();
        long from = 0;
        List<StoredMessage> page;
        while (!(page = store.readMessages("s", from, 7)).isEmpty()) {
            page.forEach(m -> texts.add(m.text()));
            from += page.size();
        }
        return texts;
    }
}
