package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.APPEND_ID;
import static io.github.conversationstore.HeadDocument.APPEND_SIZE;
import static io.github.conversationstore.HeadDocument.ARCHIVED_AT;
import static io.github.conversationstore.HeadDocument.ATTRIBUTES;
import static io.github.conversationstore.HeadDocument.BYTES;
import static io.github.conversationstore.HeadDocument.CHUNK_FIRST_SEQ;
import static io.github.conversationstore.HeadDocument.CHUNK_GENERATION;
import static io.github.conversationstore.HeadDocument.CHUNK_SESSION;
import static io.github.conversationstore.HeadDocument.CREATED_AT;
import static io.github.conversationstore.HeadDocument.END_SEQ;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.HEAD_BYTES;
import static io.github.conversationstore.HeadDocument.HEAD_SEQ;
import static io.github.conversationstore.HeadDocument.LANGUAGE;
import static io.github.conversationstore.HeadDocument.LEASE;
import static io.github.conversationstore.HeadDocument.LEASE_EXPIRES_AT;
import static io.github.conversationstore.HeadDocument.LEASE_HOLDER;
import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.MESSAGE_COUNT;
import static io.github.conversationstore.HeadDocument.RECENT_APPENDS;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.UPDATED_AT;
import static io.github.conversationstore.HeadDocument.adopted;
import static io.github.conversationstore.HeadDocument.longField;
import static io.github.conversationstore.HeadDocument.messages;

import com.mongodb.ConnectionString;
import com.mongodb.MongoCommandException;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.FindOneAndDeleteOptions;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOptions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Date;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;

/**
 * A {@link ConversationStore} on MongoDB ({@code mongodb-driver-sync}): a small head document per
 * session, keyed by {@code sessionId} with a unique index, and immutable archive chunks for older
 * messages; see {@code docs/ARCHITECTURE.md}.
 *
 * <p>An append is one {@code findAndModify} command: an upsert whose filter excludes sessions that
 * already hold the append id (and heads too full to take the batch), which pushes the messages,
 * bumps the counters, records the append id and sets the header, all in one atomic document update,
 * and returns only the previous counters (a reply of constant size). When the head passes its
 * bounds ({@link Builder#maxHeadMessages(int)}, {@link Builder#maxHeadBytes(int)}), the append that
 * noticed moves the oldest messages to an archive chunk: copy, then trim guarded on the exact
 * counters, idempotent and safe to interrupt at any point. Duplicate-key errors (E11000) and network
 * failures are classified and retried with bounds; no driver exception escapes.
 *
 * <p>Works on standalone servers, replica sets and sharded clusters (shard keys
 * {@code {sessionId: 1}} for both collections); writes use the configured write concern,
 * {@code majority} by default. Thread-safe.
 *
 * @since 0.1.0
 */
public final class MongoConversationStore implements ConversationStore {
    /** Room kept in a head for everything but its messages: header, append ids, lease. */
    static final int HEAD_OVERHEAD_BYTES = 256 * 1024;
    private static final int MAX_MOVE_ROUNDS = 16;
    private static final int MAX_TRIM_ATTEMPTS = 5;
    private static final Bson COUNTERS = Projections.include(MESSAGE_COUNT, HEAD_SEQ, HEAD_BYTES, GENERATION);

    private final MongoClient client;
    private final boolean ownsClient;
    private final MongoCollection<Document> heads;
    private final MongoCollection<Document> archive;
    private final Limits limits;
    private final Clock clock;
    private final int maxAttempts;
    private final int maxHeadMessages;
    private final long maxHeadBytes;
    private final long maxDocumentBytes;
    private final MessageCodec codec;
    private final FindOneAndUpdateOptions appendOptions = new FindOneAndUpdateOptions()
            .upsert(true)
            .returnDocument(ReturnDocument.BEFORE)
            .projection(Projections.fields(Projections.include(MESSAGE_COUNT, HEAD_SEQ, HEAD_BYTES),
                    Projections.excludeId()));
    private volatile MoveStepHook moveStepHook = step -> { };

    /** Test seam: called after each step of moving messages to the archive. */
    @FunctionalInterface
    interface MoveStepHook {
        void reached(String step);
    }

    private MongoConversationStore(Builder b, MongoClient client, boolean ownsClient) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.heads = client.getDatabase(b.database).getCollection(b.collection).withWriteConcern(b.writeConcern);
        this.archive = client.getDatabase(b.database)
                .getCollection(b.archiveCollection == null ? b.collection + "_archive" : b.archiveCollection)
                .withWriteConcern(b.writeConcern);
        this.limits = b.limits;
        this.clock = b.clock;
        this.maxAttempts = b.maxAttempts;
        this.maxHeadMessages = b.maxHeadMessages;
        this.maxHeadBytes = b.maxHeadBytes;
        this.maxDocumentBytes = b.maxDocumentBytes;
        this.codec = new MessageCodec(b.assistantRoleName);
        if (b.createIndexes) {
            createIndexes(b.expireAfterInactivity);
        }
    }

    private void createIndexes(Duration expireAfterInactivity) {
        call("create the index " + SESSION_ID + "_1", () -> heads.createIndex(
                Indexes.ascending(SESSION_ID), new IndexOptions().unique(true).name(SESSION_ID + "_1")));
        call("create the archive index", () -> archive.createIndex(
                Indexes.ascending(SESSION_ID, GENERATION, END_SEQ),
                new IndexOptions().name(SESSION_ID + "_1_" + GENERATION + "_1_" + END_SEQ + "_1")));
        if (expireAfterInactivity != null) {
            long seconds = expireAfterInactivity.getSeconds();
            call("create the retention index", () -> {
                try {
                    return heads.createIndex(Indexes.ascending(UPDATED_AT),
                            new IndexOptions().name(UPDATED_AT + "_1").expireAfter(seconds, TimeUnit.SECONDS));
                } catch (MongoCommandException e) {
                    if (e.getErrorCode() != 85 && e.getErrorCode() != 86) {
                        throw e;
                    }
                    // the index exists with another expiry: change it in place
                    client.getDatabase(heads.getNamespace().getDatabaseName()).runCommand(
                            new Document("collMod", heads.getNamespace().getCollectionName())
                                    .append("index", new Document("keyPattern", new Document(UPDATED_AT, 1))
                                            .append("expireAfterSeconds", seconds)));
                    return UPDATED_AT + "_1";
                }
            });
        }
    }

    /**
     * Starts configuring a store.
     *
     * @return a builder; {@code database} and a client or connection string are required
     */
    public static Builder builder() {
        return new Builder();
    }

    void onMoveStep(MoveStepHook hook) {
        this.moveStepHook = Objects.requireNonNull(hook, "hook");
    }

    // ---------------------------------------------------------------- append

    @Override
    public AppendResult appendMessages(AppendRequest request) {
        Objects.requireNonNull(request, "request");
        limits.check(request);
        List<Document> encoded = codec.encode(request.messages());
        long batchBytes = MessageCodec.estimateBytes(encoded);
        long room = maxDocumentBytes - HEAD_OVERHEAD_BYTES - batchBytes;
        if (room < 0) {
            throw new ConversationTooLargeException("the batch of " + encoded.size() + " messages for session '"
                    + request.sessionId() + "' takes about " + batchBytes + " bytes; a conversation document holds at most "
                    + (maxDocumentBytes - HEAD_OVERHEAD_BYTES) + " bytes of messages (maxDocumentBytes)", null);
        }
        Bson filter = new Document(SESSION_ID, request.sessionId())
                .append(RECENT_APPENDS + "." + APPEND_ID, new Document("$ne", request.appendId()))
                .append(HEAD_BYTES, new Document("$lte", room));
        Bson update = appendUpdate(request, encoded, batchBytes);
        int size = encoded.size();
        boolean outcomeUnknown = false;
        RuntimeException last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            try {
                Document before = heads.findOneAndUpdate(filter, update, appendOptions);
                long first = before == null ? 0 : longField(before, MESSAGE_COUNT);
                long headLength = before == null ? size : first - longField(before, HEAD_SEQ) + size;
                long headBytes = before == null ? batchBytes : longField(before, HEAD_BYTES) + batchBytes;
                if (headLength > maxHeadMessages || headBytes > maxHeadBytes) {
                    moveQuietly(request.sessionId(), maxHeadBytes / 2);
                }
                return new AppendResult(request.appendId(), first, size, first == 0, false);
            } catch (RuntimeException e) {
                last = e;
                MongoFailure failure = MongoFailure.of(e);
                if (failure == MongoFailure.TRANSIENT) {
                    outcomeUnknown = true;
                    backOff(attempt, true);
                    continue;
                }
                if (failure != MongoFailure.DUPLICATE_KEY) {
                    throw translate("append to session '" + request.sessionId() + "'", e);
                }
                try {
                    Optional<AppendResult> applied = resolveConflict(request, room, outcomeUnknown);
                    if (applied.isPresent()) {
                        return applied.get();
                    }
                } catch (RuntimeException resolveFailure) {
                    if (MongoFailure.of(resolveFailure) != MongoFailure.TRANSIENT) {
                        throw translate("append to session '" + request.sessionId() + "'", resolveFailure);
                    }
                    last = resolveFailure;
                    backOff(attempt, true);
                }
            }
        }
        String what = "append " + request.appendId() + " to session '" + request.sessionId() + "' failed after "
                + maxAttempts + " attempts";
        if (MongoFailure.of(last) == MongoFailure.DUPLICATE_KEY) {
            throw new ConcurrentAppendException(what + ": concurrent writers won every attempt", last);
        }
        throw new ConversationStoreUnavailableException(what + "; retry with the same append id", last);
    }

    private Bson appendUpdate(AppendRequest request, List<Document> encoded, long batchBytes) {
        Date now = Date.from(clock.instant());
        Document set = new Document(UPDATED_AT, now);
        request.headerAttributes().forEach((k, v) -> set.append(ATTRIBUTES + "." + k, v));
        Document appendEntry = new Document(APPEND_ID, request.appendId()).append(APPEND_SIZE, encoded.size());
        return new Document("$setOnInsert", new Document(LANGUAGE, request.language())
                        .append(CREATED_AT, now)
                        .append(HEAD_SEQ, 0L)
                        .append(GENERATION, new ObjectId()))
                .append("$set", set)
                .append("$inc", new Document(MESSAGE_COUNT, (long) encoded.size()).append(HEAD_BYTES, batchBytes))
                .append("$push", new Document(MESSAGES, new Document("$each", encoded))
                        .append(RECENT_APPENDS, new Document("$each", List.of(appendEntry))
                                .append("$slice", -limits.appendIdWindow())));
    }

    /**
     * After E11000 on the append's upsert, finds out why: the append id was applied (return its
     * result), the head is the original backend's (adopt it), the head is too full for the batch
     * (move messages out), or another writer created the head first. Empty means: try again.
     */
    private Optional<AppendResult> resolveConflict(AppendRequest request, long room, boolean ownAttemptMayHaveApplied) {
        Document head = heads.find(new Document(SESSION_ID, request.sessionId()))
                .projection(Projections.fields(Projections.include(RECENT_APPENDS, MESSAGE_COUNT, HEAD_SEQ,
                        HEAD_BYTES, GENERATION), Projections.excludeId()))
                .first();
        if (head == null) {
            backOff(1, false); // the head was deleted in between: create it again
            return Optional.empty();
        }
        if (!adopted(head)) {
            adopt(request.sessionId());
            return Optional.empty();
        }
        Optional<AppendResult> applied = findApplied(head, request.appendId(), ownAttemptMayHaveApplied);
        if (applied.isPresent()) {
            return applied;
        }
        if (longField(head, HEAD_BYTES) > room) {
            move(request.sessionId(), Math.min(maxHeadBytes / 2, room));
        } else {
            backOff(1, false); // another writer created the head first
        }
        return Optional.empty();
    }

    /**
     * Looks the append id up in the head's recent appends. The sequence range of an entry is
     * derived from the message count: the entries are contiguous and the last one ends there.
     */
    private static Optional<AppendResult> findApplied(Document head, String appendId, boolean ownAttemptMayHaveApplied) {
        List<Document> appends = head.getList(RECENT_APPENDS, Document.class, List.of());
        long end = longField(head, MESSAGE_COUNT);
        for (int i = appends.size() - 1; i >= 0; i--) {
            Document entry = appends.get(i);
            int n = ((Number) entry.get(APPEND_SIZE)).intValue();
            long first = end - n;
            if (appendId.equals(entry.getString(APPEND_ID))) {
                // If an earlier attempt of this very call may have applied it, report it as applied
                // by this call, not as the caller's duplicate.
                return Optional.of(ownAttemptMayHaveApplied
                        ? new AppendResult(appendId, first, n, first == 0, false)
                        : new AppendResult(appendId, first, n, false, true));
            }
            end = first;
        }
        return Optional.empty();
    }

    /**
     * Gives an original backend's document the counters of a head, once: the update is guarded on
     * the counters' absence and on the array's length, so racing stores cannot count twice and a
     * concurrent push by the old backend makes this attempt a no-op (the append then retries).
     */
    private void adopt(String sessionId) {
        Document legacy = heads.find(new Document(SESSION_ID, sessionId)).first();
        if (legacy == null || adopted(legacy)) {
            return;
        }
        List<Document> messages = messages(legacy);
        heads.updateOne(new Document("_id", legacy.get("_id"))
                        .append(HEAD_BYTES, new Document("$exists", false))
                        .append(MESSAGES, new Document("$size", messages.size())),
                new Document("$set", new Document(HEAD_SEQ, 0L)
                        .append(MESSAGE_COUNT, (long) messages.size())
                        .append(HEAD_BYTES, MessageCodec.estimateBytes(messages))
                        .append(GENERATION, new ObjectId())
                        .append(RECENT_APPENDS, List.of())
                        .append(UPDATED_AT, Date.from(clock.instant()))));
    }

    // ---------------------------------------------------------------- moving to the archive

    /** Moves after a successful append; the append stands whatever happens here. */
    private void moveQuietly(String sessionId, long targetBytes) {
        try {
            move(sessionId, targetBytes);
        } catch (RuntimeException e) {
            // maintenance only: the next append over the bounds, or a full head, tries again
        }
    }

    /**
     * Moves the oldest messages of the head to archive chunks until the head holds at most half
     * its message bound and at most {@code targetBytes}. Each round: read the head; copy its first
     * K messages to the chunk {@code {s, g, q: headSeq}} (an existing chunk from an interrupted
     * move wins, with its own K); trim exactly those K with an update guarded on the generation and
     * the exact counters. A crash between any two steps leaves a state reads handle (chunks at or
     * after {@code headSeq} are ignored) and that the next move completes.
     */
    void move(String sessionId, long targetBytes) {
        for (int round = 0; round < MAX_MOVE_ROUNDS; round++) {
            Document head = heads.find(new Document(SESSION_ID, sessionId))
                    .projection(Projections.fields(COUNTERS, Projections.include(MESSAGES))).first();
            if (head == null || !adopted(head)) {
                return;
            }
            long firstSeq = longField(head, HEAD_SEQ);
            long count = longField(head, MESSAGE_COUNT);
            long headBytes = longField(head, HEAD_BYTES);
            ObjectId generation = head.getObjectId(GENERATION);
            List<Document> messages = messages(head);
            int keepAtMost = maxHeadMessages / 2;
            long chunkLimit = maxDocumentBytes - HEAD_OVERHEAD_BYTES;
            int k = 0;
            long chunkBytes = 0;
            while (k < messages.size() && (messages.size() - k > keepAtMost || headBytes - chunkBytes > targetBytes)) {
                long b = MessageCodec.estimateBytes(messages.get(k));
                if (k > 0 && chunkBytes + b > chunkLimit) {
                    break;
                }
                chunkBytes += b;
                k++;
            }
            if (k == 0) {
                return;
            }
            moveStepHook.reached("read");
            Document chunkId = new Document(CHUNK_SESSION, sessionId).append(CHUNK_GENERATION, generation)
                    .append(CHUNK_FIRST_SEQ, firstSeq);
            try {
                archive.insertOne(new Document("_id", chunkId)
                        .append(SESSION_ID, sessionId)
                        .append(GENERATION, generation)
                        .append(END_SEQ, firstSeq + k)
                        .append(BYTES, chunkBytes)
                        .append(ARCHIVED_AT, Date.from(clock.instant()))
                        .append(MESSAGES, new ArrayList<>(messages.subList(0, k))));
            } catch (RuntimeException e) {
                if (MongoFailure.of(e) != MongoFailure.DUPLICATE_KEY) {
                    throw e;
                }
                // an interrupted move copied this chunk already: trim exactly what it holds
                Document existing = archive.find(new Document("_id", chunkId))
                        .projection(Projections.include(END_SEQ, BYTES)).first();
                if (existing == null) {
                    return;
                }
                k = (int) (longField(existing, END_SEQ) - firstSeq);
                chunkBytes = longField(existing, BYTES);
            }
            moveStepHook.reached("copied");
            long trimmedAt = trim(sessionId, generation, firstSeq, count, k, chunkBytes);
            if (trimmedAt < 0) {
                return;
            }
            moveStepHook.reached("trimmed");
            if (trimmedAt - firstSeq - k <= keepAtMost && headBytes - chunkBytes <= targetBytes) {
                return; // small enough, unless appends landed meanwhile (the next one moves again)
            }
        }
    }

    /** Trims the first {@code k} messages; returns the message count it trimmed at, or -1 if it did not. */
    private long trim(String sessionId, ObjectId generation, long firstSeq, long count, int k, long chunkBytes) {
        long expectedCount = count;
        for (int attempt = 0; attempt < MAX_TRIM_ATTEMPTS; attempt++) {
            long keep = expectedCount - firstSeq - k;
            long modified = heads.updateOne(
                    new Document(SESSION_ID, sessionId).append(GENERATION, generation)
                            .append(HEAD_SEQ, firstSeq).append(MESSAGE_COUNT, expectedCount),
                    new Document("$push", new Document(MESSAGES, new Document("$each", List.of())
                                    .append("$slice", (int) -keep)))
                            .append("$inc", new Document(HEAD_SEQ, (long) k).append(HEAD_BYTES, -chunkBytes)))
                    .getModifiedCount();
            if (modified == 1) {
                return expectedCount;
            }
            Document now = heads.find(new Document(SESSION_ID, sessionId)).projection(COUNTERS).first();
            if (now == null || !generation.equals(now.getObjectId(GENERATION)) || longField(now, HEAD_SEQ) != firstSeq) {
                return -1; // deleted, or another mover trimmed first
            }
            expectedCount = longField(now, MESSAGE_COUNT); // appends landed: trim again at the new count
        }
        return -1;
    }

    // ---------------------------------------------------------------- reads

    /**
     * {@inheritDoc}
     *
     * <p>One round trip when the head holds {@code limit} messages (the usual prompt window), two
     * when older messages come from the archive.
     */
    @Override
    public List<StoredMessage> recentMessages(String sessionId, int limit) {
        Checks.sessionId(sessionId);
        Limits.readLimit(limit);
        return call("read session '" + sessionId + "'", () -> {
            Document head = heads.find(new Document(SESSION_ID, sessionId))
                    .projection(Projections.fields(COUNTERS, Projections.slice(MESSAGES, -limit), Projections.excludeId()))
                    .first();
            if (head == null) {
                return List.of();
            }
            if (!adopted(head)) {
                List<Document> all = messages(heads.find(new Document(SESSION_ID, sessionId)).first());
                int from = Math.max(0, all.size() - limit);
                return toStored(from, all.subList(from, all.size()));
            }
            List<Document> tail = messages(head);
            long first = longField(head, MESSAGE_COUNT) - tail.size();
            Deque<List<Document>> parts = new ArrayDeque<>();
            parts.add(tail);
            int missing = limit - tail.size();
            if (missing > 0 && first > 0) {
                try (MongoCursor<Document> chunks = archive.find(new Document(SESSION_ID, sessionId)
                                .append(GENERATION, head.getObjectId(GENERATION))
                                .append(END_SEQ, new Document("$lte", first)))
                        .sort(Sorts.descending(END_SEQ))
                        .batchSize(chunkBatch(missing))
                        .iterator()) {
                    while (missing > 0 && chunks.hasNext()) {
                        Document chunk = chunks.next();
                        if (longField(chunk, END_SEQ) != first) {
                            break; // a gap: the conversation is being deleted
                        }
                        List<Document> msgs = messages(chunk);
                        int take = Math.min(missing, msgs.size());
                        parts.addFirst(msgs.subList(msgs.size() - take, msgs.size()));
                        first -= take;
                        missing -= take;
                    }
                }
            }
            List<StoredMessage> out = new ArrayList<>(limit - missing);
            long seq = first;
            for (List<Document> part : parts) {
                for (Document d : part) {
                    out.add(new StoredMessage(seq++, MessageCodec.decode(d)));
                }
            }
            return out;
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>One round trip for the first page of a conversation that was never archived; otherwise
     * two (counters, then head or archive), three when the page spans archive and head, and one
     * more each time a concurrent move shifts the head under the read.
     */
    @Override
    public List<StoredMessage> readMessages(String sessionId, long fromSequence, int limit) {
        Checks.sessionId(sessionId);
        Checks.notNegative("fromSequence", fromSequence);
        Limits.readLimit(limit);
        return call("read session '" + sessionId + "'", () -> {
            // The counters, with the first page when reading from the start.
            Document head = readHead(sessionId, 0, fromSequence == 0 ? limit : 0);
            if (head == null) {
                return List.of();
            }
            if (!adopted(head)) {
                List<Document> all = messages(heads.find(new Document(SESSION_ID, sessionId)).first());
                int from = (int) Math.min(fromSequence, all.size());
                return toStored(from, all.subList(from, Math.min(all.size(), from + limit)));
            }
            if (fromSequence == 0 && longField(head, HEAD_SEQ) == 0) {
                return toStored(0, messages(head));
            }
            List<StoredMessage> out = new ArrayList<>();
            long pos = fromSequence;
            for (int step = 0; step < MAX_MOVE_ROUNDS && out.size() < limit; step++) {
                long headSeq = longField(head, HEAD_SEQ);
                if (pos >= longField(head, MESSAGE_COUNT)) {
                    break;
                }
                if (pos >= headSeq) {
                    Document slice = readHead(sessionId, pos - headSeq, limit - out.size());
                    if (slice == null || !Objects.equals(slice.get(GENERATION), head.get(GENERATION))) {
                        break; // deleted meanwhile
                    }
                    if (longField(slice, HEAD_SEQ) != headSeq) {
                        head = slice; // a move shifted the head: locate pos again
                        continue;
                    }
                    out.addAll(toStored(pos, messages(slice)));
                    break;
                }
                long reached = readArchive(sessionId, head.getObjectId(GENERATION), pos, headSeq, limit, out);
                if (reached == pos) {
                    break; // deleted meanwhile
                }
                pos = reached;
            }
            return out;
        });
    }

    /** Reads the head's counters and {@code limit} messages from index {@code skip} (none if 0). */
    private Document readHead(String sessionId, long skip, int limit) {
        Bson projection = limit == 0
                ? Projections.fields(COUNTERS, Projections.excludeId())
                : Projections.fields(COUNTERS, Projections.slice(MESSAGES, (int) skip, limit), Projections.excludeId());
        return heads.find(new Document(SESSION_ID, sessionId)).projection(projection).first();
    }

    /** Adds archived messages from {@code pos} (below {@code headSeq}) to {@code out}; returns the new position. */
    private long readArchive(String sessionId, ObjectId generation, long pos, long headSeq, int limit, List<StoredMessage> out) {
        try (MongoCursor<Document> chunks = archive.find(new Document(SESSION_ID, sessionId)
                        .append(GENERATION, generation)
                        .append(END_SEQ, new Document("$gt", pos).append("$lte", headSeq)))
                .sort(Sorts.ascending(END_SEQ))
                .batchSize(chunkBatch(limit - out.size()))
                .iterator()) {
            while (out.size() < limit && chunks.hasNext()) {
                Document chunk = chunks.next();
                long chunkFirst = longField(chunk.get("_id", Document.class), CHUNK_FIRST_SEQ);
                if (chunkFirst > pos) {
                    break; // a gap: the conversation is being deleted
                }
                List<Document> msgs = messages(chunk);
                for (int i = (int) (pos - chunkFirst); i < msgs.size() && out.size() < limit; i++) {
                    out.add(new StoredMessage(pos++, MessageCodec.decode(msgs.get(i))));
                }
            }
        }
        return pos;
    }

    /** How many chunks to fetch per round trip to cover {@code messages}: chunks hold about half a head. */
    private int chunkBatch(int messages) {
        return Math.max(2, Math.min(100, messages / Math.max(1, maxHeadMessages / 2) + 2));
    }

    private static List<StoredMessage> toStored(long firstSequence, List<Document> docs) {
        List<StoredMessage> out = new ArrayList<>(docs.size());
        for (int i = 0; i < docs.size(); i++) {
            out.add(new StoredMessage(firstSequence + i, MessageCodec.decode(docs.get(i))));
        }
        return out;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One round trip (two for an original backend's document not yet adopted).
     */
    @Override
    public Optional<ConversationHeader> findConversation(String sessionId) {
        Checks.sessionId(sessionId);
        return call("read session '" + sessionId + "'", () -> {
            Document head = heads.find(new Document(SESSION_ID, sessionId))
                    .projection(Projections.exclude(MESSAGES, RECENT_APPENDS))
                    .first();
            if (head == null) {
                return Optional.empty();
            }
            if (!adopted(head)) {
                head = heads.find(new Document(SESSION_ID, sessionId)).first();
                if (head == null) {
                    return Optional.empty();
                }
            }
            long count = HeadDocument.messageCount(head);
            // a head created by a lease alone holds no conversation yet
            return count == 0 ? Optional.empty() : Optional.of(HeadDocument.header(head, count));
        });
    }

    // ---------------------------------------------------------------- leases

    /**
     * {@inheritDoc}
     *
     * <p>One {@code update} with upsert on the head: its filter matches a head whose lease is
     * absent, expired or already {@code holder}'s. E11000 then means another holder has it (or a
     * concurrent creation, which is retried). Expiry is judged by this store's clock: keep clocks of
     * the processes sharing a database synchronized well within the lease duration.
     */
    @Override
    public boolean tryAcquireLease(String sessionId, String language, String holder, Duration duration) {
        Checks.sessionId(sessionId);
        String tag = Checks.language(language);
        Checks.identifier("holder", holder, Checks.MAX_ID_LENGTH);
        Checks.leaseDuration(duration);
        return call("take the lease of session '" + sessionId + "'", () -> {
            for (int attempt = 1; attempt <= maxAttempts; attempt++) {
                Date now = Date.from(clock.instant());
                Document filter = new Document(SESSION_ID, sessionId).append("$or", List.of(
                        new Document(LEASE, null),
                        new Document(LEASE + "." + LEASE_EXPIRES_AT, new Document("$lte", now)),
                        new Document(LEASE + "." + LEASE_HOLDER, holder)));
                Document update = new Document("$set", new Document(LEASE, new Document(LEASE_HOLDER, holder)
                                .append(LEASE_EXPIRES_AT, Date.from(now.toInstant().plus(duration)))))
                        .append("$setOnInsert", new Document(LANGUAGE, tag)
                                .append(CREATED_AT, now)
                                .append(UPDATED_AT, now)
                                .append(HEAD_SEQ, 0L)
                                .append(MESSAGE_COUNT, 0L)
                                .append(HEAD_BYTES, 0L)
                                .append(GENERATION, new ObjectId())
                                .append(MESSAGES, List.of())
                                .append(RECENT_APPENDS, List.of()));
                try {
                    heads.updateOne(filter, update, new UpdateOptions().upsert(true));
                    return true;
                } catch (RuntimeException e) {
                    if (MongoFailure.of(e) != MongoFailure.DUPLICATE_KEY) {
                        throw e;
                    }
                    Document head = heads.find(new Document(SESSION_ID, sessionId))
                            .projection(Projections.include(LEASE)).first();
                    Document lease = head == null ? null : head.get(LEASE, Document.class);
                    if (lease != null && !holder.equals(lease.getString(LEASE_HOLDER))
                            && lease.getDate(LEASE_EXPIRES_AT).toInstant().isAfter(clock.instant())) {
                        return false;
                    }
                    backOff(attempt, false); // created or released meanwhile: try again
                }
            }
            return false;
        });
    }

    @Override
    public boolean renewLease(String sessionId, String holder, Duration duration) {
        Checks.sessionId(sessionId);
        Checks.identifier("holder", holder, Checks.MAX_ID_LENGTH);
        Checks.leaseDuration(duration);
        return call("renew the lease of session '" + sessionId + "'", () -> heads.updateOne(
                new Document(SESSION_ID, sessionId).append(LEASE + "." + LEASE_HOLDER, holder),
                new Document("$set", new Document(LEASE + "." + LEASE_EXPIRES_AT,
                        Date.from(clock.instant().plus(duration))))).getMatchedCount() == 1);
    }

    @Override
    public void releaseLease(String sessionId, String holder) {
        Checks.sessionId(sessionId);
        Checks.identifier("holder", holder, Checks.MAX_ID_LENGTH);
        call("release the lease of session '" + sessionId + "'", () -> heads.updateOne(
                new Document(SESSION_ID, sessionId).append(LEASE + "." + LEASE_HOLDER, holder),
                new Document("$unset", new Document(LEASE, ""))));
    }

    // ---------------------------------------------------------------- erasure

    /**
     * {@inheritDoc}
     *
     * <p>Deletes the head, then the archive chunks of its generation. A chunk that a concurrent move
     * writes after that belongs to a dead generation: reads never show it and
     * {@link #removeOrphanedArchives()} deletes it.
     */
    @Override
    public long deleteConversation(String sessionId) {
        Checks.sessionId(sessionId);
        Document deleted = call("delete session '" + sessionId + "'", () -> heads.findOneAndDelete(
                new Document(SESSION_ID, sessionId),
                new FindOneAndDeleteOptions().projection(
                        Projections.fields(COUNTERS, Projections.include(MESSAGES + "." + MessageCodec.ROLE)))));
        if (deleted == null) {
            return 0;
        }
        ObjectId generation = deleted.getObjectId(GENERATION);
        if (generation != null) {
            call("delete the archive of session '" + sessionId + "'", () -> archive.deleteMany(
                    new Document(SESSION_ID, sessionId).append(GENERATION, generation)));
        }
        return HeadDocument.messageCount(deleted);
    }

    /**
     * Deletes archive chunks whose session head is gone or belongs to a newer generation: those of
     * sessions removed by the retention TTL index (which deletes only heads), and those a move wrote
     * while its session was being deleted. Chunks archived after this call started are left for the
     * next call. Run it periodically (for example hourly) when retention is on; it costs one query
     * per archived session.
     *
     * @return how many chunks were deleted
     * @throws ConversationStoreUnavailableException if the database did not answer
     */
    public long removeOrphanedArchives() {
        Date started = Date.from(clock.instant());
        List<String> sessions = call("list archived sessions",
                () -> archive.distinct(SESSION_ID, String.class).into(new ArrayList<>()));
        long removed = 0;
        for (String sessionId : sessions) {
            Document head = call("read session '" + sessionId + "'", () -> heads.find(new Document(SESSION_ID, sessionId))
                    .projection(Projections.include(GENERATION)).first());
            Document filter = new Document(SESSION_ID, sessionId).append(ARCHIVED_AT, new Document("$lt", started));
            if (head != null && head.get(GENERATION) != null) {
                filter.append(GENERATION, new Document("$ne", head.get(GENERATION)));
            }
            removed += call("delete orphaned chunks of session '" + sessionId + "'",
                    () -> archive.deleteMany(filter).getDeletedCount());
        }
        return removed;
    }

    /** Closes the client if the store created it from a connection string. */
    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }

    // ---------------------------------------------------------------- failures

    /** Runs an idempotent operation, retrying transient failures, translating the rest. */
    private <T> T call(String what, Supplier<T> operation) {
        RuntimeException last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            try {
                return operation.get();
            } catch (RuntimeException e) {
                if (MongoFailure.of(e) != MongoFailure.TRANSIENT) {
                    throw translate(what, e);
                }
                last = e;
                backOff(attempt, true);
            }
        }
        throw new ConversationStoreUnavailableException(
                "could not " + what + " after " + maxAttempts + " attempts", last);
    }

    private static ConversationStoreException translate(String what, RuntimeException e) {
        if (e instanceof ConversationStoreException) {
            return (ConversationStoreException) e;
        }
        switch (MongoFailure.of(e)) {
            case TOO_LARGE:
                return new ConversationTooLargeException("could not " + what + ": the document would be too large ("
                        + e.getMessage() + ")", e);
            case TRANSIENT:
                return new ConversationStoreUnavailableException("could not " + what + ": " + e.getMessage(), e);
            default:
                return new ConversationStoreException("could not " + what + ": " + e.getMessage(), e);
        }
    }

    /** Sleeps a little before the next attempt: briefly after a lost race, longer after a network failure. */
    private static void backOff(int attempt, boolean transientFailure) {
        long capMicros = transientFailure
                ? Math.min(2_000_000L, 50_000L << Math.min(attempt - 1, 6))
                : Math.min(20_000L, 500L << Math.min(attempt - 1, 6));
        LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(capMicros / 2, capMicros + 1) * 1_000L);
    }

    /**
     * Configures a {@link MongoConversationStore}. Not thread-safe.
     *
     * @since 0.1.0
     */
    public static final class Builder extends StoreBuilder<Builder> {
        private MongoClient client;
        private String connectionString;
        private String database;
        private String collection = "conversations";
        private WriteConcern writeConcern = WriteConcern.MAJORITY;
        private int maxAttempts = 8;
        private boolean createIndexes = true;
        private String archiveCollection;
        private int maxHeadMessages = 128;
        private int maxHeadBytes = 256 * 1024;
        private int maxDocumentBytes = 8 * 1024 * 1024;
        private Duration expireAfterInactivity;
        private String assistantRoleName = Role.ASSISTANT.wireName();

        private Builder() {}

        @Override
        Builder self() {
            return this;
        }

        /**
         * Uses this client; the store does not close it. Excludes {@link #connectionString(String)}.
         *
         * @param value the client
         * @return this builder
         */
        public Builder client(MongoClient value) {
            this.client = Objects.requireNonNull(value, "client");
            return this;
        }

        /**
         * Creates a client from this connection string; {@link MongoConversationStore#close()}
         * closes it. Excludes {@link #client(MongoClient)}.
         *
         * @param value a {@code mongodb://} or {@code mongodb+srv://} connection string
         * @return this builder
         */
        public Builder connectionString(String value) {
            this.connectionString = Objects.requireNonNull(value, "connectionString");
            return this;
        }

        /**
         * Sets the database name (required).
         *
         * @param value the database
         * @return this builder
         */
        public Builder database(String value) {
            this.database = Objects.requireNonNull(value, "database");
            return this;
        }

        /**
         * Sets the collection of head documents (default {@code conversations}).
         *
         * @param value the collection name
         * @return this builder
         */
        public Builder collection(String value) {
            this.collection = Objects.requireNonNull(value, "collection");
            return this;
        }

        /**
         * Sets the collection of archive chunks (default: the head collection's name followed by
         * {@code _archive}).
         *
         * @param value the collection name
         * @return this builder
         */
        public Builder archiveCollection(String value) {
            this.archiveCollection = Objects.requireNonNull(value, "archiveCollection");
            return this;
        }

        /**
         * Sets how many messages a head may hold before the oldest move to the archive (default 128);
         * a move leaves at most half of them. The prompt window ({@code recentMessages}) is read in
         * one round trip while it is at most half this bound.
         *
         * @param messages at least 2
         * @return this builder
         * @throws IllegalArgumentException if {@code messages} is below 2
         */
        public Builder maxHeadMessages(int messages) {
            if (messages < 2) {
                throw new IllegalArgumentException("maxHeadMessages must be at least 2, was " + messages);
            }
            this.maxHeadMessages = messages;
            return this;
        }

        /**
         * Sets how many bytes of messages a head may hold before the oldest move to the archive
         * (default 256 KiB); a move leaves at most half. Small heads keep appends fast: MongoDB
         * rewrites the whole document on every update.
         *
         * @param bytes positive
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is not positive
         */
        public Builder maxHeadBytes(int bytes) {
            this.maxHeadBytes = Checks.positive("maxHeadBytes", bytes);
            return this;
        }

        /**
         * Sets the hard bound on any document of the store (default 8 MiB, at most 16 MiB): a head
         * never takes an append that would pass it (older messages move out first), and a batch
         * that could never fit is rejected with {@link ConversationTooLargeException}.
         *
         * @param bytes between 1 MiB and 16 MiB
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is outside that range
         */
        public Builder maxDocumentBytes(int bytes) {
            if (bytes < 1024 * 1024 || bytes > 16 * 1024 * 1024) {
                throw new IllegalArgumentException("maxDocumentBytes must be between 1 MiB and 16 MiB, was " + bytes);
            }
            this.maxDocumentBytes = bytes;
            return this;
        }

        /**
         * Turns on retention: a session with no append for this long is deleted by MongoDB's TTL
         * monitor (a TTL index on the head's {@code updatedAt}, never per message, so an active
         * conversation keeps its beginning). The monitor runs about once a minute; the session's
         * archive chunks are then removed by {@link MongoConversationStore#removeOrphanedArchives()}.
         *
         * @param idle at least one second
         * @return this builder
         * @throws IllegalArgumentException if {@code idle} is shorter than one second
         */
        public Builder expireAfterInactivity(Duration idle) {
            Objects.requireNonNull(idle, "idle");
            if (idle.getSeconds() < 1) {
                throw new IllegalArgumentException("expireAfterInactivity must be at least 1 second, was " + idle);
            }
            this.expireAfterInactivity = idle;
            return this;
        }

        /**
         * Preset for a collection shared with the original chat backend (documents
         * {@code {sessionId, language, messages: [{role: 'user'|'bot', text, timestamp,
         * grammarSuggestion, translation}], createdAt}} with the unique index {@code sessionId_1}):
         * collection {@code conversations}, and assistant messages stored with role {@code bot}, so
         * the old backend still reads the recent messages of every document this store touches.
         * Its documents are adopted on first touch; no migration script is needed.
         *
         * @return this builder
         */
        public Builder forOriginalBackend() {
            this.collection = "conversations";
            this.assistantRoleName = "bot";
            return this;
        }

        /**
         * Sets the write concern of every write (default {@link WriteConcern#MAJORITY}).
         *
         * @param value the write concern
         * @return this builder
         */
        public Builder writeConcern(WriteConcern value) {
            this.writeConcern = Objects.requireNonNull(value, "writeConcern");
            return this;
        }

        /**
         * Sets how many times one operation is tried before it fails (default 8): covers lost
         * creation races and network failures.
         *
         * @param attempts 1 or more
         * @return this builder
         * @throws IllegalArgumentException if {@code attempts} is not positive
         */
        public Builder maxAttempts(int attempts) {
            this.maxAttempts = Checks.positive("maxAttempts", attempts);
            return this;
        }

        /**
         * Whether {@link #build()} creates the unique index {@code sessionId_1} if it is missing
         * (default true). Turn off where the application manages indexes itself.
         *
         * @param value true to create indexes
         * @return this builder
         */
        public Builder createIndexes(boolean value) {
            this.createIndexes = value;
            return this;
        }

        /**
         * Validates the settings, connects if given a connection string, and creates the indexes.
         *
         * @return the store
         * @throws IllegalStateException if {@code database} is missing, neither or both of
         *     {@code client} and {@code connectionString} are set, or {@code maxHeadBytes} does not
         *     fit in {@code maxDocumentBytes}
         * @throws IllegalArgumentException if the connection string or a name is invalid
         * @throws ConversationStoreException if the indexes cannot be created
         */
        public MongoConversationStore build() {
            if (database == null) {
                throw new IllegalStateException("database is required");
            }
            if ((client == null) == (connectionString == null)) {
                throw new IllegalStateException("exactly one of client and connectionString is required");
            }
            if (maxHeadBytes >= maxDocumentBytes - HEAD_OVERHEAD_BYTES) {
                throw new IllegalStateException("maxHeadBytes (" + maxHeadBytes + ") must be below maxDocumentBytes ("
                        + maxDocumentBytes + ") minus " + HEAD_OVERHEAD_BYTES + " bytes of head overhead");
            }
            if (client != null) {
                return new MongoConversationStore(this, client, false);
            }
            MongoClient created = MongoClients.create(new ConnectionString(connectionString));
            try {
                return new MongoConversationStore(this, created, true);
            } catch (RuntimeException e) {
                created.close();
                throw e;
            }
        }
    }
}
