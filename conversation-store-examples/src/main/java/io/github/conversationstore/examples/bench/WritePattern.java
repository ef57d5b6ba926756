package io.github.conversationstore.examples.bench;

import com.mongodb.ReadConcern;
import com.mongodb.ReadPreference;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * The ways of appending a (user, assistant) pair that the benchmarks compare, each with its own
 * way of pre-filling a session to a given length and of reading its last messages.
 */
public enum WritePattern {
    /** conversation-store: one findAndModify on a bounded head, moves to the archive. */
    LIBRARY("conversation-store", Long.MAX_VALUE),
    /** The library's commands issued with the raw driver (including its moves), to measure its overhead. */
    RAW_SAME_COMMANDS("raw driver, same commands", Long.MAX_VALUE),
    /** The seed's fix: findOneAndUpdate, upsert, new: true (the whole conversation comes back). */
    SEED_FIX("seed fix (findOneAndUpdate, new: true)", 40_000),
    /** Spring AI's and LangChain4j's chat memories: read the whole history, then replace it. */
    READ_ALL_REPLACE("read all, then replace", 40_000),
    /** LangChain's MongoDB history: one insert per message. */
    INSERT_PER_MESSAGE("one insert per message", Long.MAX_VALUE),
    /** The floor: one insertOne of the pair's bytes. */
    INSERT_ONE_FLOOR("raw insertOne (floor)", Long.MAX_VALUE);

    static final String TEXT = "x".repeat(200);

    private final String label;
    private final long maxLength;

    WritePattern(String label, long maxLength) {
        this.label = label;
        this.maxLength = maxLength;
    }

    String label() {
        return label;
    }

    /** Whether a session can hold this many messages in this pattern (one document of pairs passes 16 MB). */
    boolean reaches(long length) {
        return length <= maxLength;
    }

    static List<Message> pair() {
        return List.of(Message.user(TEXT), Message.assistant(TEXT));
    }

    static Document messageDoc(String role) {
        return new Document("_id", new ObjectId()).append("id", UUID.randomUUID().toString()).append("role", role).append("text", TEXT)
                .append("timestamp", new Date());
    }

    /** A pattern bound to one database. */
    interface Writer {
        void prefill(String sessionId, int length);

        void append(String sessionId);

        List<?> readLast(String sessionId, int n);
    }

    Writer open(MongoClient client, String database) {
        MongoDatabase db = client.getDatabase(database);
        switch (this) {
            case LIBRARY:
                return new LibraryWriter(MongoConversationStore.builder().client(client).database(database).build());
            case RAW_SAME_COMMANDS:
                return new RawSameCommandsWriter(client, database);
            case SEED_FIX:
                return new SeedFixWriter(db.getCollection("seed"));
            case READ_ALL_REPLACE:
                return new ReadReplaceWriter(db.getCollection("readReplace"));
            case INSERT_PER_MESSAGE:
                return new PerMessageWriter(db.getCollection("perMessage"), false);
            default:
                return new PerMessageWriter(db.getCollection("floor"), true);
        }
    }

    static final class LibraryWriter implements Writer {
        final MongoConversationStore store;

        LibraryWriter(MongoConversationStore store) {
            this.store = store;
        }

        @Override
        public void prefill(String sessionId, int length) {
            for (int done = 0; done < length; ) {
                int n = Math.min(256, length - done);
                List<Message> batch = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    batch.add((done + i) % 2 == 0 ? Message.user(TEXT) : Message.assistant(TEXT));
                }
                store.appendMessages(sessionId, "en", batch);
                done += n;
            }
        }

        @Override
        public void append(String sessionId) {
            store.appendMessages(sessionId, "en", pair());
        }

        @Override
        public List<StoredMessage> readLast(String sessionId, int n) {
            return store.recentMessages(sessionId, n);
        }
    }

    /** One document per conversation, as the seed wrote it. */
    abstract static class SingleDocumentWriter implements Writer {
        final MongoCollection<Document> conversations;

        SingleDocumentWriter(MongoCollection<Document> conversations) {
            this.conversations = conversations;
            conversations.createIndex(Indexes.ascending("sessionId"), new IndexOptions().unique(true));
        }

        @Override
        public void prefill(String sessionId, int length) {
            List<Document> messages = new ArrayList<>(length);
            for (int i = 0; i < length; i++) {
                messages.add(messageDoc(i % 2 == 0 ? "user" : "bot"));
            }
            conversations.insertOne(new Document("sessionId", sessionId).append("language", "en")
                    .append("messages", messages).append("createdAt", new Date()));
        }

        @Override
        public List<Document> readLast(String sessionId, int n) {
            Document doc = conversations.find(new Document("sessionId", sessionId)).first();
            List<Document> all = doc.getList("messages", Document.class);
            return all.subList(Math.max(0, all.size() - n), all.size());
        }
    }

    static final class SeedFixWriter extends SingleDocumentWriter {
        SeedFixWriter(MongoCollection<Document> conversations) {
            super(conversations);
        }

        @Override
        public void append(String sessionId) {
            conversations.findOneAndUpdate(new Document("sessionId", sessionId),
                    new Document("$setOnInsert", new Document("language", "en").append("createdAt", new Date()))
                            .append("$push", new Document("messages", new Document("$each",
                                    List.of(messageDoc("user"), messageDoc("bot"))))),
                    new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
        }
    }

    static final class ReadReplaceWriter extends SingleDocumentWriter {
        ReadReplaceWriter(MongoCollection<Document> conversations) {
            super(conversations);
        }

        @Override
        public void append(String sessionId) {
            Document doc = conversations.find(new Document("sessionId", sessionId)).first();
            List<Document> messages = new ArrayList<>(doc == null ? List.of() : doc.getList("messages", Document.class));
            messages.add(messageDoc("user"));
            messages.add(messageDoc("bot"));
            Document replacement = new Document("sessionId", sessionId).append("language", "en").append("messages", messages);
            conversations.replaceOne(new Document("sessionId", sessionId), replacement, new ReplaceOptions().upsert(true));
        }
    }

    /** One document per message (LangChain), or one per pair (the insertOne floor). */
    static final class PerMessageWriter implements Writer {
        final MongoCollection<Document> messages;
        final boolean pairPerDocument;

        PerMessageWriter(MongoCollection<Document> messages, boolean pairPerDocument) {
            this.messages = messages;
            this.pairPerDocument = pairPerDocument;
            messages.createIndex(Indexes.ascending("sessionId"));
        }

        @Override
        public void prefill(String sessionId, int length) {
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < length; i += pairPerDocument ? 2 : 1) {
                docs.add(pairPerDocument ? pairDoc(sessionId) : messageDoc(i % 2 == 0 ? "user" : "bot").append("sessionId", sessionId));
                if (docs.size() == 1000) {
                    messages.insertMany(docs);
                    docs.clear();
                }
            }
            if (!docs.isEmpty()) {
                messages.insertMany(docs);
            }
        }

        private static Document pairDoc(String sessionId) {
            return new Document("sessionId", sessionId).append("messages", List.of(messageDoc("user"), messageDoc("bot")));
        }

        @Override
        public void append(String sessionId) {
            if (pairPerDocument) {
                messages.insertOne(pairDoc(sessionId));
            } else {
                messages.insertOne(messageDoc("user").append("sessionId", sessionId));
                messages.insertOne(messageDoc("bot").append("sessionId", sessionId));
            }
        }

        @Override
        public List<Document> readLast(String sessionId, int n) {
            List<Document> last = messages.find(new Document("sessionId", sessionId)).sort(Sorts.descending("_id"))
                    .limit(n).into(new ArrayList<>());
            Collections.reverse(last);
            return last;
        }
    }

    /**
     * The library's commands with the raw driver: the same findAndModify for an append, and the same
     * three commands (read, copy, guarded trim) when the head passes 128 messages or 256 KiB. Its
     * trim is not retried when a concurrent append changes the count, so it is measured with one
     * thread only.
     */
    static final class RawSameCommandsWriter implements Writer {
        static final long ROOM = 8L * 1024 * 1024 - 256 * 1024;
        final LibraryWriter prefiller;
        final MongoCollection<Document> heads;
        final MongoCollection<Document> archive;
        final FindOneAndUpdateOptions options = new FindOneAndUpdateOptions().upsert(true)
                .returnDocument(ReturnDocument.BEFORE)
                .projection(Projections.fields(Projections.include("messageCount", "headSeq", "headBytes"), Projections.excludeId()));
        final FindOneAndUpdateOptions claim = new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER)
                .projection(Projections.include("messageCount", "headSeq", "headBytes", "generation", "messages", "appendKeys"));

        RawSameCommandsWriter(MongoClient client, String database) {
            // prefilled by the library itself, in its own collections, so both start from the same documents
            prefiller = new LibraryWriter(MongoConversationStore.builder().client(client).database(database)
                    .collection("raw").build());
            // the library's defaults (write and read concern, primary, 10 s operation timeout), so that
            // the commands are the same to the last field
            heads = client.getDatabase(database).getCollection("raw").withWriteConcern(WriteConcern.MAJORITY)
                    .withReadPreference(ReadPreference.primary()).withReadConcern(ReadConcern.MAJORITY)
                    .withTimeout(10, TimeUnit.SECONDS);
            archive = client.getDatabase(database).getCollection("raw_archive").withWriteConcern(WriteConcern.MAJORITY)
                    .withTimeout(10, TimeUnit.SECONDS);
        }

        @Override
        public void prefill(String sessionId, int length) {
            prefiller.prefill(sessionId, length);
        }

        @Override
        public void append(String sessionId) {
            String appendId = UUID.randomUUID().toString();
            List<Document> encoded = List.of(messageDoc("user").append("appendId", appendId), messageDoc("assistant"));
            long bytes = estimate(encoded);
            int key = ThreadLocalRandom.current().nextInt();
            Date now = new Date();
            Document filter = new Document("sessionId", sessionId)
                    .append("appendKeys", new Document("$ne", key))
                    .append("appendKeyBlocks", new Document("$not", Pattern.compile(String.format(Locale.ROOT, ",%08x,", key))))
                    .append("recentAppends.id", new Document("$ne", appendId))
                    .append("headBytes", new Document("$lte", ROOM - bytes));
            Document update = new Document("$setOnInsert", new Document("language", "en").append("createdAt", now)
                            .append("headSeq", 0L).append("generation", new ObjectId()))
                    .append("$set", new Document("updatedAt", now))
                    .append("$inc", new Document("messageCount", 2L).append("headBytes", bytes))
                    .append("$push", new Document("messages", new Document("$each", encoded))
                            .append("appendKeys", new Document("$each", List.of(key)).append("$slice", -1024)));
            Document before = heads.findOneAndUpdate(filter, update, options);
            long length = before == null ? 0 : before.get("messageCount", Number.class).longValue()
                    - before.get("headSeq", Number.class).longValue();
            long headBytes = before == null ? 0 : before.get("headBytes", Number.class).longValue();
            if (crossed(length, length + 2, 128) || crossed(headBytes, headBytes + bytes, 256 * 1024)) {
                move(sessionId);
            }
        }

        private static boolean crossed(long before, long after, long bound) {
            return thresholdsBelow(after, bound) > thresholdsBelow(before, bound);
        }

        private static long thresholdsBelow(long value, long bound) {
            return value > bound ? (value - bound - 1) / (bound / 2) + 1 : 0;
        }

        private void move(String sessionId) {
            Date now = new Date();
            Document head = heads.findOneAndUpdate(new Document("sessionId", sessionId).append("$or", List.of(
                            new Document("moverUntil", null), new Document("moverUntil", new Document("$lte", now)))),
                    new Document("$set", new Document("moverUntil", new Date(now.getTime() + 5000))), claim);
            if (head == null) {
                return; // another mover is at work
            }
            List<Document> messages = head.getList("messages", Document.class);
            long headSeq = head.get("headSeq", Number.class).longValue();
            int k = messages.size() - 64;
            List<Document> moved = messages.subList(0, k);
            long bytes = estimate(moved);
            Object generation = head.get("generation");
            archive.insertOne(new Document("_id", new Document("s", sessionId).append("g", generation).append("q", headSeq))
                    .append("sessionId", sessionId).append("generation", generation).append("endSeq", headSeq + k)
                    .append("bytes", bytes).append("archivedAt", new Date()).append("messages", new ArrayList<>(moved)));
            List<Object> ids = new ArrayList<>();
            moved.forEach(m -> ids.add(m.get("_id")));
            Document pull = new Document("messages", new Document("_id", new Document("$in", ids)));
            Document update = new Document("$pull", pull)
                    .append("$unset", new Document("moverUntil", ""))
                    .append("$inc", new Document("headSeq", (long) k).append("headBytes", -bytes));
            // pack the loose append-id fingerprints 64 to a string, as the library's mover does
            List<Integer> loose = head.getList("appendKeys", Integer.class, List.of());
            int blocks = loose.size() / 64;
            if (blocks > 0) {
                List<String> strings = new ArrayList<>();
                for (int b = 0; b < blocks; b++) {
                    StringBuilder block = new StringBuilder(",");
                    loose.subList(b * 64, (b + 1) * 64).forEach(x -> block.append(String.format(Locale.ROOT, "%08x,", x)));
                    strings.add(block.toString());
                }
                pull.append("appendKeys", new Document("$in", loose.subList(0, blocks * 64)));
                update.append("$push", new Document("appendKeyBlocks", new Document("$each", strings).append("$slice", -32)));
            }
            heads.updateOne(new Document("sessionId", sessionId).append("generation", generation).append("headSeq", headSeq),
                    update);
        }

        private static long estimate(List<Document> messages) {
            long bytes = 0;
            for (Document m : messages) {
                bytes += 16;
                for (Map.Entry<String, Object> e : m.entrySet()) {
                    bytes += 8 + e.getKey().length() + String.valueOf(e.getValue()).length();
                }
            }
            return bytes;
        }

        @Override
        public List<StoredMessage> readLast(String sessionId, int n) {
            return prefiller.readLast(sessionId, n);
        }
    }
}
