package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.ATTRIBUTES;
import static io.github.conversationstore.HeadDocument.CHUNK_FIRST_SEQ;
import static io.github.conversationstore.HeadDocument.CREATED_AT;
import static io.github.conversationstore.HeadDocument.END_SEQ;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.HEAD_BYTES;
import static io.github.conversationstore.HeadDocument.HEAD_SEQ;
import static io.github.conversationstore.HeadDocument.LANGUAGE;
import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.MESSAGE_COUNT;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.UPDATED_AT;
import static io.github.conversationstore.HeadDocument.adopted;
import static io.github.conversationstore.HeadDocument.longField;
import static io.github.conversationstore.HeadDocument.messages;

import com.mongodb.MongoQueryException;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import io.github.conversationstore.MongoContext.Deadline;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;

/**
 * Reads of the Mongo store: the prompt window, pages across archive and head, the header.
 *
 * <p>A head's messages have the sequence numbers {@code headSeq, headSeq + 1, ...}; archive chunks
 * of the head's generation hold everything before {@code headSeq}. Where other programs push to
 * heads without the library's counters ({@link MongoContext#foreignWriters}), the count is derived
 * from the array itself ({@code headSeq} plus its length), never from {@code messageCount}.
 */
final class MongoReader {
    /** Page reads relocated this often by concurrent moves fall back to one read of the whole head. */
    private static final int MAX_RELOCATIONS = 2;
    private static final Bson COUNTERS = Projections.include(MESSAGE_COUNT, HEAD_SEQ, HEAD_BYTES, GENERATION, HeadDocument.FORK);
    /** A header read where the counters hold the count: everything but the messages and fingerprints. */
    private static final Bson HEADER_FIELDS = Projections.exclude(MESSAGES, HeadDocument.APPEND_KEYS,
            HeadDocument.APPEND_KEY_BLOCKS, HeadDocument.RECENT_APPENDS);
    /** A header read where the count comes from the array: the header's fields and one small field per message. */
    private static final Bson HEADER_AND_ROLES = Projections.include(SESSION_ID, LANGUAGE, CREATED_AT, UPDATED_AT,
            ATTRIBUTES, HeadDocument.OWNER, MESSAGE_COUNT, HEAD_SEQ, HEAD_BYTES, MESSAGES + "." + MessageCodec.ROLE);

    private final MongoContext ctx;
    private final MongoSharedReads sharedReads;

    MongoReader(MongoContext ctx, MongoSharedReads sharedReads) {
        this.ctx = ctx;
        this.sharedReads = sharedReads;
    }

    /**
     * The headers of one owner's conversations after {@code after} (null: from the first), in
     * order, from the index {@code {owner: 1, sessionId: 1}}. With other writers (the original
     * backend) the count comes from the array, one small field per message.
     */
    List<ConversationHeader> ownedHeaders(Owner owner, String after, int limit, Deadline deadline) {
        Document filter = new Document(HeadDocument.OWNER, HeadDocument.ownerDocument(owner));
        if (after != null) {
            filter.append(SESSION_ID, new Document("$gt", after));
        }
        Bson projection = ctx.foreignWriters
                ? HEADER_AND_ROLES
                : HEADER_FIELDS;
        List<ConversationHeader> headers = new ArrayList<>(Math.min(limit, 1024));
        deadline.heads().find(filter.append(MESSAGE_COUNT, new Document("$gt", 0)))
                .projection(projection)
                .sort(Sorts.ascending(SESSION_ID))
                .limit(limit)
                .batchSize(Math.min(limit, MongoListing.BATCH))
                .forEach(head -> {
                    headers.add(HeadDocument.header(head, count(head), ctx.keys));
                });
        return List.copyOf(headers);
    }

    /** The message count of a head read with {@link #HEADER_FIELDS} or {@link #HEADER_AND_ROLES}. */
    private long count(Document head) {
        return derivesCount(head) ? longField(head, HEAD_SEQ) + messages(head).size() : longField(head, MESSAGE_COUNT);
    }

    /**
     * Stored messages starting at sequence number {@code first}, in order; the first
     * {@code origins.size()} are shared with an ancestor (a fork's), each with the segment of the
     * fork's chain it came from (its session and data key), the others the session's own.
     */
    record Page(long first, List<Document> documents, List<Document> origins) {
        static final Page EMPTY = new Page(0, List.of());

        Page(long first, List<Document> documents) {
            this(first, documents, List.of());
        }

        List<StoredMessage> toStored() {
            List<StoredMessage> out = new ArrayList<>(documents.size());
            for (int i = 0; i < documents.size(); i++) {
                out.add(new StoredMessage(first + i, MessageCodec.decode(documents.get(i))));
            }
            return out;
        }
    }

    /** Whether the head's {@code messageCount} can be trusted, or the count must come from the array. */
    private boolean derivesCount(Document head) {
        return ctx.foreignWriters || !adopted(head);
    }

    /** The last {@code limit} messages. */
    Page recent(String sessionId, int limit, Deadline deadline) {
        Document head = ctx.foreignWriters
                ? deadline.heads().find(new Document(SESSION_ID, sessionId))
                        .projection(Projections.fields(COUNTERS, Projections.include(MESSAGES))).first()
                : deadline.heads().find(new Document(SESSION_ID, sessionId))
                        .projection(Projections.fields(COUNTERS, Projections.slice(MESSAGES, -limit),
                                Projections.excludeId())).first();
        if (head == null) {
            return Page.EMPTY;
        }
        if (!adopted(head) && !ctx.foreignWriters) {
            head = deadline.heads().find(new Document(SESSION_ID, sessionId)).first();
            if (head == null) {
                return Page.EMPTY;
            }
        }
        List<Document> inHead = messages(head);
        long count = derivesCount(head) ? longField(head, HEAD_SEQ) + inHead.size() : longField(head, MESSAGE_COUNT);
        List<Document> tail = inHead.subList(Math.max(0, inHead.size() - limit), inHead.size());
        long first = count - tail.size();
        Deque<List<Document>> parts = new ArrayDeque<>();
        parts.add(tail);
        int missing = limit - tail.size();
        long ownStart = HeadDocument.ownStart(head);
        if (missing > 0 && first > ownStart && head.getObjectId(GENERATION) != null) {
            try (MongoCursor<Document> chunks = deadline.archive().find(new Document(SESSION_ID, sessionId)
                            .append(GENERATION, head.getObjectId(GENERATION))
                            .append(END_SEQ, new Document("$lte", first)))
                    .sort(Sorts.descending(END_SEQ))
                    .batchSize(chunkBatch(missing))
                    .iterator()) {
                while (missing > 0 && chunks.hasNext()) {
                    Document chunk = chunks.next();
                    if (longField(chunk, END_SEQ) != first) {
                        return Page.EMPTY; // a gap: the conversation is being deleted
                    }
                    List<Document> msgs = messages(chunk);
                    int take = Math.min(missing, msgs.size());
                    parts.addFirst(msgs.subList(msgs.size() - take, msgs.size()));
                    first -= take;
                    missing -= take;
                }
            }
            if (missing > 0 && first > ownStart) {
                return Page.EMPTY; // chunks gone: the conversation is being deleted
            }
        }
        List<Document> shared = new ArrayList<>();
        List<Document> origins = new ArrayList<>();
        if (missing > 0 && first > 0 && first == ownStart) {
            // a fork: the rest of the window is its ancestors'
            long from = Math.max(0, first - missing);
            if (!sharedReads.readShared(HeadDocument.chain(head), from, first, shared, origins, deadline)) {
                return Page.EMPTY;
            }
            missing -= shared.size();
            first = from;
        }
        List<Document> out = new ArrayList<>(limit - missing);
        out.addAll(shared);
        parts.forEach(out::addAll);
        return new Page(first, out, origins);
    }

    /** Up to {@code limit} messages from sequence number {@code from}. */
    Page read(String sessionId, long from, int limit, Deadline deadline) {
        return read(sessionId, from, limit, null, deadline);
    }

    /**
     * Up to {@code limit} messages from sequence number {@code from} of the life {@code generation}
     * (any, if null); null if the session has another life now. A read that finds its session
     * deleted under it (the head gone, another generation, chunks gone) returns nothing rather than
     * the part it had read: never a batch cut short.
     */
    Page read(String sessionId, long from, int limit, Object generation, Deadline deadline) {
        if (ctx.foreignWriters) {
            Page page = readWholeHead(sessionId, from, limit, generation, deadline);
            return page == DELETED ? gone(generation) : page;
        }
        // the counters, with the first page when reading from the start
        Document head = readHead(sessionId, 0, from == 0 ? limit : 0, deadline);
        if (head == null || (generation != null && !generation.equals(head.get(GENERATION)))) {
            return gone(generation);
        }
        if (!adopted(head)) {
            Page page = readWholeHead(sessionId, from, limit, generation, deadline);
            return page == DELETED ? gone(generation) : page;
        }
        if (from == 0 && longField(head, HEAD_SEQ) == 0) {
            return new Page(0, messages(head));
        }
        List<Document> out = new ArrayList<>();
        List<Document> origins = new ArrayList<>();
        long pos = from;
        int relocations = 0;
        long ownStart = HeadDocument.ownStart(head);
        while (out.size() < limit) {
            long headSeq = longField(head, HEAD_SEQ);
            if (pos >= longField(head, MESSAGE_COUNT)) {
                break;
            }
            if (pos < ownStart) {
                // a fork's shared range: its ancestors' archive
                long to = Math.min(ownStart, pos + (limit - out.size()));
                if (!sharedReads.readShared(HeadDocument.chain(head), pos, to, out, origins, deadline)) {
                    return gone(generation);
                }
                pos = to;
                continue;
            }
            if (pos >= headSeq) {
                Document slice = readHead(sessionId, pos - headSeq, limit - out.size(), deadline);
                if (slice == SHIFTED) {
                    slice = readHead(sessionId, 0, 0, deadline);
                }
                if (slice == null || !Objects.equals(slice.get(GENERATION), head.get(GENERATION))) {
                    return gone(generation); // deleted meanwhile
                }
                if (longField(slice, HEAD_SEQ) != headSeq) {
                    if (++relocations > MAX_RELOCATIONS) {
                        // moves keep shifting the head: read it whole, one consistent snapshot
                        Page rest = readWholeHead(sessionId, pos, limit - out.size(), head.get(GENERATION), deadline);
                        if (rest == DELETED) {
                            return gone(generation);
                        }
                        out.addAll(rest.documents());
                        break;
                    }
                    head = slice;
                    continue; // a move shifted the head: locate pos again
                }
                out.addAll(messages(slice));
                break;
            }
            long reached = readArchive(sessionId, head.getObjectId(GENERATION), pos, headSeq, limit, out, deadline);
            if (reached < headSeq && out.size() < limit) {
                return gone(generation); // a gap in the archive: the session is being deleted
            }
            pos = reached;
        }
        return new Page(from, out, origins);
    }

    /** What a read bound to {@code generation} (or to none) answers when its session was deleted under it. */
    private static Page gone(Object generation) {
        return generation == null ? Page.EMPTY : null;
    }

    /** Answers a whole-head read that found its session deleted or in another life. */
    private static final Page DELETED = new Page(0, List.of());

    /** Marks a head slice that failed because a move shortened the array under the read. */
    private static final Document SHIFTED = new Document();

    /**
     * Reads the head's counters and {@code limit} messages from index {@code skip} (none if 0).
     * Some servers (the embedded one) fail a slice whose start passes the array's end, where
     * MongoDB returns none: either way that means a move shortened the head since its counters
     * were read, answered by {@link #SHIFTED}.
     */
    private Document readHead(String sessionId, long skip, int limit, Deadline deadline) {
        Bson projection = limit == 0
                ? Projections.fields(COUNTERS, Projections.excludeId())
                : Projections.fields(COUNTERS, Projections.slice(MESSAGES, (int) skip, limit), Projections.excludeId());
        try {
            return deadline.heads().find(new Document(SESSION_ID, sessionId)).projection(projection).first();
        } catch (MongoQueryException e) {
            if (limit > 0 && skip > 0) {
                return SHIFTED;
            }
            throw e;
        }
    }

    /**
     * Reads the whole head once, then what the page needs from the archive: for heads whose count
     * is derived from the array, and for page reads that concurrent moves keep relocating. With
     * {@code generation} given, returns nothing if the head has another (the session was deleted).
     */
    private Page readWholeHead(String sessionId, long from, int limit, Object generation, Deadline deadline) {
        Document head = deadline.heads().find(new Document(SESSION_ID, sessionId))
                .projection(Projections.fields(COUNTERS, Projections.include(MESSAGES))).first();
        if (head == null || (generation != null && !generation.equals(head.get(GENERATION)))) {
            return DELETED;
        }
        List<Document> inHead = messages(head);
        long headSeq = longField(head, HEAD_SEQ);
        List<Document> out = new ArrayList<>();
        List<Document> origins = new ArrayList<>();
        long pos = from;
        long ownStart = HeadDocument.ownStart(head);
        if (pos < ownStart) {
            long to = Math.min(ownStart, pos + limit);
            if (!sharedReads.readShared(HeadDocument.chain(head), pos, to, out, origins, deadline)) {
                return DELETED;
            }
            pos = to;
            if (out.size() == limit) {
                return new Page(from, out, origins);
            }
        }
        if (pos < headSeq && head.getObjectId(GENERATION) != null) {
            pos = readArchive(sessionId, head.getObjectId(GENERATION), pos, headSeq, limit, out, deadline);
            if (out.size() == limit) {
                return new Page(from, out, origins); // the page ends in the archive
            }
            if (pos < headSeq) {
                return DELETED; // a gap in the archive: the session is being deleted
            }
        }
        int fromIndex = (int) Math.min(inHead.size(), pos - headSeq);
        int toIndex = (int) Math.min(inHead.size(), (long) fromIndex + limit - out.size());
        out.addAll(inHead.subList(fromIndex, toIndex));
        return new Page(from, out, origins);
    }

    /** Adds archived messages from {@code pos} (below {@code headSeq}) to {@code out}; returns the new position. */
    private long readArchive(String sessionId, ObjectId generation, long pos, long headSeq, int limit,
            List<Document> out, Deadline deadline) {
        try (MongoCursor<Document> chunks = deadline.archive().find(new Document(SESSION_ID, sessionId)
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
                    out.add(msgs.get(i));
                    pos++;
                }
            }
        }
        return pos;
    }

    /** How many chunks to fetch per round trip to cover {@code messages}: chunks hold about half a head. */
    private int chunkBatch(int messages) {
        return Math.max(2, Math.min(100, messages / Math.max(1, ctx.maxHeadMessages / 2) + 2));
    }

    /** The header: one round trip (two for an original backend's document not yet adopted). */
    Optional<ConversationHeader> header(String sessionId, Deadline deadline) {
        if (!ctx.foreignWriters) {
            Document head = deadline.heads().find(new Document(SESSION_ID, sessionId))
                    .projection(HEADER_FIELDS)
                    .first();
            if (head == null) {
                return Optional.empty();
            }
            if (adopted(head)) {
                long count = longField(head, MESSAGE_COUNT);
                // a fork is a conversation from its creation, also one made at sequence number 0
                return count == 0 && head.get(HeadDocument.FORK) == null ? Optional.empty()
                        : Optional.of(HeadDocument.header(head, count, ctx.keys));
            }
        }
        // the count comes from the array: read one small field of every message
        Document head = deadline.heads().find(new Document(SESSION_ID, sessionId))
                .projection(HEADER_AND_ROLES)
                .first();
        if (head == null) {
            return Optional.empty();
        }
        long count = count(head);
        // a head created by a lease alone holds no conversation yet
        return count == 0 ? Optional.empty() : Optional.of(HeadDocument.header(head, count, ctx.keys));
    }
}
