package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongoTestBase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A collection written by the original Node backend (Mongoose): the store adopts its documents on
 * first touch, with no migration script, and the old backend can still read them.
 */
@SuppressWarnings("deprecation") // the tutor attributes, deprecated in 0.3, keep working
class OriginalBackendAdoptionTest extends EmbeddedMongoTestBase {
    private MongoCollection<Document> conversations;
    private String database;

    @BeforeEach
    void writeAsTheOldBackendDid() {
        database = "tutor" + System.nanoTime();
        conversations = client.getDatabase(database).getCollection("conversations");
        conversations.createIndex(Indexes.ascending("sessionId"), new IndexOptions().unique(true).name("sessionId_1"));
        conversations.insertOne(oldConversation("old-1", "es", 6));
        conversations.insertOne(oldConversation("old-big", "fr", 500));
    }

    @AfterEach
    void dropDatabase() {
        client.getDatabase(database).drop();
    }

    /** Exactly what the old backend stored: Mongoose subdocument ids, role 'bot', a version key. */
    private static Document oldConversation(String sessionId, String language, int messages) {
        List<Document> list = new ArrayList<>();
        for (int i = 0; i < messages; i++) {
            boolean user = i % 2 == 0;
            Document m = new Document("_id", new ObjectId())
                    .append("role", user ? "user" : "bot")
                    .append("text", "old " + i)
                    .append("timestamp", Date.from(Instant.parse("2025-06-01T10:00:00Z").plusSeconds(i)));
            if (!user) {
                m.append("grammarSuggestion", "suggestion " + i).append("translation", "translation " + i);
            }
            list.add(m);
        }
        return new Document("sessionId", sessionId).append("language", language).append("messages", list)
                .append("createdAt", Date.from(Instant.parse("2025-06-01T09:59:00Z"))).append("__v", 0);
    }

    private MongoConversationStore store(MongoClient c) {
        return MongoConversationStore.builder().client(c).database(database).forOriginalBackend().build();
    }

    @Test
    void reads_oldDocument_withMessagesAndExtraFieldsIntact() {
        try (MongoConversationStore store = store(client)) {
            List<StoredMessage> messages = store.readMessages("old-1", 0, 100);

            assertThat(messages).extracting(StoredMessage::sequence).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
            StoredMessage bot = messages.get(1);
            assertThat(bot.role()).isEqualTo(Role.ASSISTANT);
            assertThat(bot.text()).isEqualTo("old 1");
            assertThat(bot.message().grammarSuggestion()).contains("suggestion 1");
            assertThat(bot.message().translation()).contains("translation 1");
            assertThat(bot.message().timestamp()).isEqualTo(Instant.parse("2025-06-01T10:00:01Z"));
            assertThat(bot.message().id()).hasSize(24);
            assertThat(store.recentMessages("old-1", 2)).extracting(StoredMessage::sequence).containsExactly(4L, 5L);
            ConversationHeader header = store.findConversation("old-1").orElseThrow();
            assertThat(header.language()).isEqualTo("es");
            assertThat(header.messageCount()).isEqualTo(6);
            assertThat(header.createdAt()).isEqualTo(Instant.parse("2025-06-01T09:59:00Z"));
        }
    }

    @Test
    void appendMessages_toOldDocument_continuesSequenceAndStaysReadableByOldBackend() {
        try (MongoConversationStore store = store(client)) {
            AppendResult result = store.appendMessages("old-1", "es", List.of(Message.user("nuevo"),
                    Message.assistant("respuesta").withAttribute(Message.TRANSLATION, "answer")));

            assertThat(result.firstSequence()).isEqualTo(6);
            assertThat(result.conversationCreated()).isFalse();
            assertThat(store.readMessages("old-1", 0, 100)).extracting(StoredMessage::text)
                    .containsExactly("old 0", "old 1", "old 2", "old 3", "old 4", "old 5", "nuevo", "respuesta");
        }
        // what the old backend reads: its own fields, role 'bot' for the assistant
        Document raw = conversations.find(new Document("sessionId", "old-1")).first();
        List<Document> messages = raw.getList("messages", Document.class);
        Document last = messages.get(messages.size() - 1);
        assertThat(last.getString("role")).isEqualTo("bot");
        assertThat(last.getString("text")).isEqualTo("respuesta");
        assertThat(last.getString("translation")).isEqualTo("answer");
        assertThat(last.get("timestamp")).isInstanceOf(Date.class);
        assertThat(messages.get(0).get("_id")).isInstanceOf(ObjectId.class);
        assertThat(raw.getString("language")).isEqualTo("es");
        assertThat(raw.get("__v")).isEqualTo(0);
    }

    @Test
    void expectedSequence_countsTheOldBackendsPushes() {
        try (MongoConversationStore store = store(client)) {
            store.appendMessages(AppendRequest.builder("old-1", "es").appendId("e1").expectedSequence(6)
                    .messages(Message.user("nuevo")).build());
            // the old backend pushes a message beside the store, without the store's counters
            conversations.updateOne(new Document("sessionId", "old-1"), new Document("$push",
                    new Document("messages", new Document("_id", new ObjectId()).append("role", "bot").append("text", "old push")
                            .append("timestamp", new Date()))));

            assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("old-1", "es").appendId("e2")
                    .expectedSequence(7).messages(Message.user("stale")).build()))
                    .isInstanceOfSatisfying(SequenceMismatchException.class,
                            e -> assertThat(e.actualNextSequence()).isEqualTo(8));
            AppendResult result = store.appendMessages(AppendRequest.builder("old-1", "es").appendId("e3")
                    .expectedSequence(8).messages(Message.user("after the push")).build());
            assertThat(result.firstSequence()).isEqualTo(8);
            assertThat(store.readMessages("old-1", 0, 100)).extracting(StoredMessage::text)
                    .endsWith("nuevo", "old push", "after the push");
        }
    }

    @Test
    void twoStoresRacingToAdopt_doNotDoubleCount() throws Exception {
        try (MongoClient other = MongoClients.create(server.connectionString());
                MongoConversationStore a = store(client);
                MongoConversationStore b = store(other)) {
            List<AppendResult> results = AbstractConversationStoreContractTest.runConcurrently(8, i ->
                    (i % 2 == 0 ? a : b).appendMessages("old-1", "es", List.of(Message.user("race " + i))));

            assertThat(results).extracting(AppendResult::firstSequence).containsExactlyInAnyOrder(6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L);
            assertThat(a.findConversation("old-1").orElseThrow().messageCount()).isEqualTo(14);
            List<StoredMessage> all = b.readMessages("old-1", 0, 100);
            assertThat(all).hasSize(14);
            assertThat(all.subList(0, 6)).extracting(StoredMessage::text)
                    .containsExactly("old 0", "old 1", "old 2", "old 3", "old 4", "old 5");
        }
    }

    @Test
    void largeOldDocument_isAdoptedThenArchivedWithoutLosingItsBeginning() {
        try (MongoConversationStore store = store(client)) {
            store.appendMessages("old-big", "fr", List.of(Message.user("suite")));

            assertThat(store.findConversation("old-big").orElseThrow().messageCount()).isEqualTo(501);
            List<StoredMessage> all = new ArrayList<>();
            List<StoredMessage> page;
            do {
                page = store.readMessages("old-big", all.size(), 100);
                all.addAll(page);
            } while (page.size() == 100);
            assertThat(all).hasSize(501);
            assertThat(all.get(0).text()).isEqualTo("old 0");
            assertThat(all.get(499).text()).isEqualTo("old 499");
            assertThat(all.get(500).text()).isEqualTo("suite");
            Document raw = conversations.find(new Document("sessionId", "old-big")).first();
            assertThat(raw.getList("messages", Document.class)).hasSizeLessThanOrEqualTo(128);
        }
    }

    @Test
    void deleteConversation_ofOldDocument_reportsItsMessages() {
        try (MongoConversationStore store = store(client)) {
            assertThat(store.deleteConversation("old-1")).isEqualTo(6);
            // since issue 20 item 4 what remains is a tombstone: no message, no header, only erased fingerprints
            assertThat(conversations.countDocuments(new Document("sessionId", "old-1")
                    .append("erasedAt", new Document("$exists", false)))).isZero();
            assertThat(conversations.find(new Document("sessionId", "old-1")).first().getList("messages", Document.class))
                    .isEmpty();
        }
    }
}
