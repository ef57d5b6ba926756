package io.github.conversationstore.issues;

import io.github.conversationstore.testing.CommandHooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.AppendResult;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 4: during a rolling migration the original Node backend keeps writing to the same
 * collection, with its own update shapes, unaware of the library's counters. Its pushes made
 * counters and sequence numbers wrong, reads throw, paging stop early, and trims sized from stale
 * counters delete messages. Here both of its versions write beside the library from several
 * threads, with moves to the archive on, and every acknowledged message must be stored once, in
 * each writer's order, with true counters.
 */
class OriginalBackendWritingBesideTheStoreTest extends EmbeddedMongoTestBase {
    private static final int SESSIONS = 6;
    private static final int OPS_PER_WRITER = 36;

    /** The old backend's fixed handler: one findOneAndUpdate upsert returning the whole document. */
    private static void fixedHandler(MongoCollection<Document> conversations, String session, String user, String bot) {
        Date now = new Date();
        conversations.findOneAndUpdate(new Document("sessionId", session),
                new Document("$setOnInsert", new Document("sessionId", session).append("language", "es").append("createdAt", now))
                        .append("$push", new Document("messages", new Document("$each", List.of(
                                oldMessage("user", user, now), oldMessage("bot", bot, now))))),
                new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
    }

    /** The old backend's first version: findOne, then save() of a new document or a $push (Mongoose). */
    private static boolean firstVersion(MongoCollection<Document> conversations, String session, String user, String bot) {
        Date now = new Date();
        Document existing = conversations.find(new Document("sessionId", session)).first();
        List<Document> pair = List.of(oldMessage("user", user, now), oldMessage("bot", bot, now));
        if (existing == null) {
            try {
                conversations.insertOne(new Document("sessionId", session).append("language", "es")
                        .append("messages", pair).append("createdAt", now).append("__v", 0));
                return true;
            } catch (MongoWriteException e) {
                return false; // the original bug: E11000; nothing was stored, nothing acknowledged
            }
        }
        conversations.updateOne(new Document("_id", existing.get("_id")),
                new Document("$push", new Document("messages", new Document("$each", pair))).append("$inc", new Document("__v", 1)));
        return true;
    }

    private static Document oldMessage(String role, String text, Date at) {
        return new Document("_id", new org.bson.types.ObjectId()).append("role", role).append("text", text).append("timestamp", at)
                .append("grammarSuggestion", "").append("translation", "t");
    }

    @Test
    void oldBackendAndLibrary_writingTogetherWithMoves_loseDoubleAndMisnumberNothing() throws Exception {
        MongoCollection<Document> conversations = client.getDatabase("migration" + System.nanoTime()).getCollection("conversations");
        String db = conversations.getNamespace().getDatabaseName();
        Map<String, List<String>> acknowledged = new ConcurrentHashMap<>(); // writer -> texts, in order
        Map<String, AppendResult> results = new ConcurrentHashMap<>(); // first text of a library batch -> result
        // the old backend's writes that failed on the wire (the raw driver does not retry): applied or not
        Map<String, List<String>> unknown = new ConcurrentHashMap<>();
        try (MongoConversationStore store = MongoConversationStore.builder().client(client).database(db)
                .forOriginalBackend().maxHeadMessages(8).build()) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    Random random = new Random(writer);
                    for (int op = 0; op < OPS_PER_WRITER; op++) {
                        String session = "s" + random.nextInt(SESSIONS);
                        String user = "w" + writer + "-" + op + "-u";
                        String bot = "w" + writer + "-" + op + "-b";
                        boolean stored;
                        if (writer < 4) {
                            try {
                                if (writer < 2) {
                                    fixedHandler(conversations, session, user, bot);
                                    stored = true;
                                } else {
                                    stored = firstVersion(conversations, session, user, bot);
                                }
                            } catch (com.mongodb.MongoSocketException | com.mongodb.MongoTimeoutException e) {
                                unknown.computeIfAbsent(session, k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                                        .addAll(List.of(user, bot));
                                continue;
                            }
                        } else {
                            results.put(user, store.appendMessages(session, "es",
                                    List.of(Message.user(user), Message.assistant(bot))));
                            stored = true;
                            // reads never throw while the old backend writes
                            store.recentMessages(session, 5);
                            store.readMessages(session, Math.max(0, results.get(user).firstSequence() - 3), 4);
                        }
                        if (stored) {
                            acknowledged.computeIfAbsent("w" + writer + "@" + session, k -> new ArrayList<>()).addAll(List.of(user, bot));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : writers) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();

            int total = 0;
            for (int s = 0; s < SESSIONS; s++) {
                String session = "s" + s;
                List<StoredMessage> all = readAllInPages(store, session);
                List<String> texts = all.stream().map(StoredMessage::text).toList();
                for (int i = 0; i < all.size(); i++) {
                    assertThat(all.get(i).sequence()).isEqualTo(i);
                }
                assertThat(texts).doesNotHaveDuplicates();
                acknowledged.forEach((key, written) -> {
                    if (key.endsWith("@" + session)) {
                        // every acknowledged message is there, in its writer's order
                        assertThat(texts).containsSubsequence(written);
                    }
                });
                // an old write with an unknown outcome may or may not be there, whole
                List<String> maybe = unknown.getOrDefault(session, List.of());
                long expected = acknowledged.entrySet().stream().filter(e -> e.getKey().endsWith("@" + session))
                        .mapToLong(e -> e.getValue().size()).sum() + maybe.stream().filter(texts::contains).count();
                assertThat(texts).hasSize((int) expected);
                assertThat(store.findConversation(session).orElseThrow().messageCount()).isEqualTo(expected);
                assertThat(store.recentMessages(session, 3)).extracting(StoredMessage::text)
                        .containsExactlyElementsOf(texts.subList(texts.size() - 3, texts.size()));
                // the old backend still reads the newest messages in the head
                List<Document> head = conversations.find(new Document("sessionId", session)).first()
                        .getList("messages", Document.class);
                assertThat(head.get(head.size() - 1).getString("text")).isEqualTo(texts.get(texts.size() - 1));
                total += texts.size();
            }
            // the library's results point at its own messages
            results.forEach((user, result) -> {
                String session = null;
                for (int s = 0; s < SESSIONS && session == null; s++) {
                    List<StoredMessage> at = store.readMessages("s" + s, result.firstSequence(), 1);
                    if (!at.isEmpty() && at.get(0).text().equals(user)) {
                        session = "s" + s;
                    }
                }
                assertThat(session).as("library batch %s at sequence %d", user, result.firstSequence()).isNotNull();
            });
            assertThat(total).isGreaterThan(400);
            assertThat(client.getDatabase(db).getCollection("conversations_archive").countDocuments()).isPositive();
        }
    }

    private static List<StoredMessage> readAllInPages(MongoConversationStore store, String session) {
        List<StoredMessage> all = new ArrayList<>();
        List<StoredMessage> page;
        do {
            page = store.readMessages(session, all.size(), 7);
            all.addAll(page);
        } while (page.size() == 7);
        return all;
    }
}
