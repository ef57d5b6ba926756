package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/**
 * Review: with {@code forOriginalBackend()}, the user deletes a conversation while the old Node
 * backend keeps serving the same session. The old backend's upsert now matches the tombstone (its
 * {@code $setOnInsert} does not apply): the messages it was acknowledged for must be readable as a
 * new conversation, numbered from 0, and none of the erased ones may come back.
 */
class OldBackendWriteAfterDeleteTest extends EmbeddedMongoTestBase {

    private static void oldBackend(MongoCollection<Document> conversations, String session, String user, String bot) {
        Date now = new Date();
        conversations.findOneAndUpdate(new Document("sessionId", session),
                new Document("$setOnInsert", new Document("sessionId", session).append("language", "es").append("createdAt", now))
                        .append("$push", new Document("messages", new Document("$each", List.of(
                                old("user", user, now), old("bot", bot, now))))),
                new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
    }

    private static Document old(String role, String text, Date at) {
        return new Document("_id", new ObjectId()).append("role", role).append("text", text).append("timestamp", at)
                .append("grammarSuggestion", "").append("translation", "t");
    }

    @Test
    void oldBackendWritesAfterADelete_itsMessagesAreANewConversation_andTheErasedOnesStayGone() {
        String db = "oldAfterDelete" + System.nanoTime();
        MongoCollection<Document> conversations = client.getDatabase(db).getCollection("conversations");
        try (MongoConversationStore store = MongoConversationStore.builder().client(client).database(db)
                .forOriginalBackend().build()) {
            oldBackend(conversations, "s", "old secret", "old answer");
            store.appendMessages("s", "es", List.of(Message.user("library secret")));
            assertThat(store.recentMessages("s", 10)).hasSize(3);
            assertThat(store.deleteConversation("s")).isEqualTo(3);

            oldBackend(conversations, "s", "hola", "buenas");

            assertThat(store.recentMessages("s", 10)).extracting(StoredMessage::text).containsExactly("hola", "buenas");
            assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::sequence).containsExactly(0L, 1L);
            Optional<ConversationHeader> header = store.findConversation("s");
            assertThat(header).isPresent();
            assertThat(header.get().messageCount()).isEqualTo(2);
            assertThat(store.listConversationIds(null, 10)).containsExactly("s");

            AppendResult next = store.appendMessages("s", "es", List.of(Message.user("y luego")));
            assertThat(next.firstSequence()).isEqualTo(2);
            assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::text)
                    .containsExactly("hola", "buenas", "y luego");
            assertThat(store.findConversation("s").orElseThrow().messageCount()).isEqualTo(3);
            assertThat(store.findConversation("s").orElseThrow().language()).isEqualTo("es");
        }
    }
}
