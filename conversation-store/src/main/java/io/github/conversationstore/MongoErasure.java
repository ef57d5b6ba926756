package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.APPEND_KEYS;
import static io.github.conversationstore.HeadDocument.APPEND_KEY_BLOCKS;
import static io.github.conversationstore.HeadDocument.ATTRIBUTES;
import static io.github.conversationstore.HeadDocument.CREATED_AT;
import static io.github.conversationstore.HeadDocument.ERASED_AT;
import static io.github.conversationstore.HeadDocument.ERASED_KEYS;
import static io.github.conversationstore.HeadDocument.ERASED_KEY_BLOCKS;
import static io.github.conversationstore.HeadDocument.ERASED_OWNER;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.HEAD_BYTES;
import static io.github.conversationstore.HeadDocument.HEAD_SEQ;
import static io.github.conversationstore.HeadDocument.LANGUAGE;
import static io.github.conversationstore.HeadDocument.LEASE;
import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.MESSAGE_COUNT;
import static io.github.conversationstore.HeadDocument.RECENT_APPENDS;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.UPDATED_AT;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import io.github.conversationstore.MongoContext.Deadline;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * Erasure and retention of the Mongo store.
 *
 * <p>A deleted head is not removed but becomes a <b>tombstone</b>: in one atomic update its
 * messages, header, lease and counters go, it gets a new generation and {@code erasedAt}, and its
 * append-id fingerprints are renamed to {@code erasedKeys}/{@code erasedKeyBlocks} (no content). An
 * append's filter never matches a tombstone, so every append to it is explained by reading it: an
 * append id whose fingerprint is erased (a retry of an attempt that reached the server before the
 * delete, by the store or by the caller) gets {@link AppendErasedException} and writes nothing; any
 * other append revives the head as a new conversation at sequence number 0, whose dedup window
 * starts with the erased fingerprints (so they are refused until the window has passed) and keeps a
 * copy of them to tell them from its own. Reads, headers and listings see a tombstone as no
 * conversation. Retention (the TTL index on {@code updatedAt}) removes tombstones as it removes
 * heads.
 *
 * <p>Both rest on one fact: a generation id is created with its head and never reused (every head
 * insert draws a new one, also when a retry re-creates a deleted head), and a chunk of generation G
 * is only written after a mover read the head of generation G on the primary. So once the primary
 * shows no head of generation G, none ever will again, and G's chunks are dead. No decision is
 * taken from a timestamp, a clock or a secondary.
 */
final class MongoErasure {
    /** Chunk entries read per page of the sweep. */
    static final int SWEEP_PAGE = 1000;
    /** What counting a head's messages needs, its own and an original backend's. */
    private static final org.bson.conversions.Bson COUNTED = Projections.include(MESSAGE_COUNT, HEAD_SEQ, HEAD_BYTES,
            GENERATION, MESSAGES + "." + MessageCodec.ROLE, HeadDocument.OWNER, ERASED_OWNER, HeadDocument.FORK,
            HeadDocument.ERASED_FORK);
    private static final FindOneAndUpdateOptions COUNTED_BEFORE = new FindOneAndUpdateOptions().projection(COUNTED);

    private final MongoContext ctx;
    private final MongoForkErasure forks;

    MongoErasure(MongoContext ctx, MongoForkErasure forks) {
        this.ctx = ctx;
        this.forks = forks;
    }

    /**
     * Turns the head into a tombstone (see the class comment), then deletes every chunk of every
     * generation that is not the live head's: the deleted head's, those of earlier lives a previous
     * (interrupted) call left behind, and those a late mover wrote. A call repeated after a lost
     * reply finds a tombstone and still removes them all. The head is counted, then turned into a
     * tombstone by its {@code _id} and generation: when the update's reply is lost and its retry
     * matches nothing, the count read first is the answer.
     */
    long delete(String sessionId) {
        MongoContext.Deadline overall = ctx.deadline("delete", sessionId, "delete session '" + sessionId + "'");
        Document counted = ctx.call(overall, deadline -> deadline.heads()
                .find(new Document(SESSION_ID, sessionId)).projection(COUNTED).first());
        long deletedMessages = 0;
        if (counted != null) {
            // the head as counted: a head re-created meanwhile has another _id, and a retry after a lost
            // reply finds the tombstone's new generation: both are left alone
            Document deleted = ctx.call(overall, deadline -> deadline.heads()
                    .findOneAndUpdate(new Document(SESSION_ID, sessionId).append("_id", counted.get("_id"))
                                    .append(GENERATION, counted.get(GENERATION)),
                            tombstone(), COUNTED_BEFORE));
            // no reply document: an attempt whose reply was lost deleted it, or a concurrent call did
            deletedMessages = HeadDocument.messageCount(deleted != null ? deleted : counted);
            ctx.reached("erase:tombstone");
        }
        // a fork's references go first (kept on the tombstone until then): what it read of its
        // ancestors' dead lives goes unless another descendant reads it
        Document fork = counted == null ? null
                : counted.get(HeadDocument.FORK) instanceof Document f ? f
                : counted.get(HeadDocument.ERASED_FORK) instanceof Document f ? f : null;
        if (fork != null) {
            forks.release(sessionId, fork, overall);
            ctx.call(overall, deadline -> deadline.heads().updateOne(new Document(SESSION_ID, sessionId)
                            .append(ERASED_AT, new Document("$exists", true))
                            .append(HeadDocument.ERASED_FORK, new Document("$exists", true)),
                    new Document("$unset", new Document(HeadDocument.ERASED_FORK, ""))));
        }
        ctx.call(overall, deadline -> {
            Set<Object> generations = new LinkedHashSet<>(deadline.archive()
                    .distinct(GENERATION, new Document(SESSION_ID, sessionId), ObjectId.class)
                    .into(new ArrayList<>()));
            deadline.summaries().distinct(GENERATION, new Document(SESSION_ID, sessionId), ObjectId.class)
                    .forEach(generations::add);
            if (generations.isEmpty()) {
                return 0L;
            }
            // listed before the live head is read: a head created after this read draws a generation
            // that is not in the list
            Object live = liveGeneration(sessionId, deadline);
            generations.removeIf(g -> g.equals(live));
            // every dead life's chunks and summaries go, except what forks of it still read
            long removed = 0;
            for (Object generation : generations) {
                removed += forks.trimDeadLife(sessionId, generation, deadline);
            }
            return removed;
        });
        ctx.call(overall, deadline -> deadline.drafts().deleteMany(new Document(SESSION_ID, sessionId)).getDeletedCount());
        if (counted != null && (counted.get(HeadDocument.OWNER) != null || counted.get(ERASED_OWNER) != null)) {
            // every chunk is gone: the owner's id leaves the tombstone (eraseOwner looks for it there)
            ctx.call(overall, deadline -> deadline.heads().updateOne(new Document(SESSION_ID, sessionId)
                        .append(ERASED_AT, new Document("$exists", true)).append(ERASED_OWNER, new Document("$exists", true)),
                    new Document("$unset", new Document(ERASED_OWNER, ""))));
        }
        return deletedMessages;
    }

    /**
     * Sessions of {@code owner} turned into tombstones whose archive may remain (an erasure
     * interrupted between its steps): the tombstone keeps the owner as {@code erasedOwner} until
     * every chunk is gone.
     */
    List<String> leftovers(Owner owner, int limit, Deadline deadline) {
        List<String> ids = new ArrayList<>();
        deadline.heads().find(new Document(ERASED_OWNER, HeadDocument.ownerDocument(owner)))
                .projection(Projections.fields(Projections.include(SESSION_ID), Projections.excludeId()))
                .sort(Sorts.ascending(SESSION_ID))
                .limit(limit)
                .forEach(doc -> ids.add(doc.getString(SESSION_ID)));
        return ids;
    }

    /** The update that turns a head into a tombstone, in one atomic step. */
    private Document tombstone() {
        Date now = Date.from(ctx.time.now());
        Document unset = new Document(LEASE, "").append(ATTRIBUTES, "").append(RECENT_APPENDS, "")
                .append(MongoArchiveMover.MOVER_UNTIL, "").append(LANGUAGE, "").append(CREATED_AT, "");
        MongoDataKeys.destroy(unset); // crypto-erase: the data key goes first, in the very update that deletes the head
        return new Document("$set", new Document(GENERATION, new ObjectId())
                        .append(HEAD_SEQ, 0L)
                        .append(MESSAGE_COUNT, 0L)
                        .append(HEAD_BYTES, 0L)
                        .append(MESSAGES, List.of())
                        .append(ERASED_AT, now)
                        .append(UPDATED_AT, now))
                // a tombstone's own fields are absent, so a second erasure keeps the first one's
                .append("$rename", new Document(APPEND_KEYS, ERASED_KEYS).append(APPEND_KEY_BLOCKS, ERASED_KEY_BLOCKS)
                        .append(HeadDocument.OWNER, ERASED_OWNER).append(HeadDocument.FORK, HeadDocument.ERASED_FORK))
                .append("$unset", unset);
    }

    private static Object liveGeneration(String sessionId, Deadline deadline) {
        Document head = deadline.heads().find(new Document(SESSION_ID, sessionId))
                .projection(Projections.include(GENERATION)).first();
        return head == null ? null : head.get(GENERATION);
    }

    /**
     * Deletes the chunks (then the summaries) of dead generations in the whole archive (then the
     * summaries collection), one page at a time. A page is
     * one range read of at most {@value #SWEEP_PAGE} chunk entries ({@code sessionId} and
     * {@code generation} only, covered by the index {@code sessionId_1_generation_1_endSeq_1}) in
     * index order after the last pair seen, one read of the heads of the page's sessions
     * ({@code $in} on the shard key), and one delete per dead pair (equality on the session).
     * A pair whose chunks outlast the page is skipped to its end by the next page's filter, so every
     * chunk entry is read at most once: a sweep costs about chunks / {@value #SWEEP_PAGE} pages,
     * never a query per pair, and holds one page in memory.
     *
     * <p>On a sharded cluster (docs/SHARDING.md) the range read goes to the shards owning sessions
     * after the last one seen, each answering at most one page of index entries; the heads read goes
     * only to the shards owning the page's sessions (mongos routes each {@code $in} value), and
     * every delete to the shards of one session.
     */
    long sweep() {
        // the summaries' index {sessionId, generation, to} covers the same range read
        return sweep(Deadline::archive) + sweep(Deadline::summaries);
    }

    /** The sweep of one collection holding documents per session and generation. */
    private long sweep(Function<Deadline, MongoCollection<Document>> collection) {
        long removed = 0;
        String lastSession = null;
        ObjectId lastGeneration = null;
        while (true) {
            List<Document> page = page(collection, lastSession, lastGeneration);
            if (page.isEmpty()) {
                return removed;
            }
            Map<String, List<ObjectId>> pairs = new LinkedHashMap<>();
            for (Document entry : page) {
                List<ObjectId> generations = pairs.computeIfAbsent(entry.getString(SESSION_ID), s -> new ArrayList<>());
                ObjectId generation = entry.getObjectId(GENERATION);
                if (!generations.contains(generation)) {
                    generations.add(generation);
                }
            }
            Document last = page.get(page.size() - 1);
            lastSession = last.getString(SESSION_ID);
            lastGeneration = last.getObjectId(GENERATION);
            Map<String, Object> live = liveGenerations(new ArrayList<>(pairs.keySet()));
            for (Map.Entry<String, List<ObjectId>> e : pairs.entrySet()) {
                List<ObjectId> dead = new ArrayList<>(e.getValue());
                dead.removeIf(g -> Objects.equals(g, live.get(e.getKey())));
                for (ObjectId generation : dead) {
                    // what forks of the dead life still read stays (see MongoForkErasure)
                    removed += ctx.call("sweep", e.getKey(), "delete orphaned documents of session '" + e.getKey() + "'",
                            deadline -> forks.sweepDeadLife(e.getKey(), generation, deadline));
                }
            }
            if (page.size() < SWEEP_PAGE) {
                return removed;
            }
        }
    }

    /** Up to {@value #SWEEP_PAGE} chunk entries after the pair {@code (session, generation)} in index order. */
    private List<Document> page(Function<Deadline, MongoCollection<Document>> collection,
            String session, ObjectId generation) {
        Document filter = session == null ? new Document() : new Document("$or", List.of(
                new Document(SESSION_ID, session).append(GENERATION, new Document("$gt", generation)),
                new Document(SESSION_ID, new Document("$gt", session))));
        return ctx.call("sweep", null, "list archived sessions", deadline -> collection.apply(deadline).find(filter)
                .projection(Projections.fields(Projections.include(SESSION_ID, GENERATION), Projections.excludeId()))
                .sort(Sorts.ascending(SESSION_ID, GENERATION))
                .limit(SWEEP_PAGE)
                .batchSize(SWEEP_PAGE)
                .into(new ArrayList<>()));
    }

    private Map<String, Object> liveGenerations(List<String> sessions) {
        return ctx.call("sweep", null, "read heads of archived sessions", deadline -> {
            Map<String, Object> live = new HashMap<>();
            try (MongoCursor<Document> heads = deadline.heads()
                    .find(new Document(SESSION_ID, new Document("$in", sessions)))
                    .projection(Projections.include(SESSION_ID, GENERATION))
                    .iterator()) {
                heads.forEachRemaining(h -> live.put(h.getString(SESSION_ID), h.get(GENERATION)));
            }
            return live;
        });
    }
}
