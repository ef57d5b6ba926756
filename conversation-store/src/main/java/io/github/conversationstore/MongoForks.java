package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.ARCHIVED_AT;
import static io.github.conversationstore.HeadDocument.BYTES;
import static io.github.conversationstore.HeadDocument.CHUNK_FIRST_SEQ;
import static io.github.conversationstore.HeadDocument.CHUNK_GENERATION;
import static io.github.conversationstore.HeadDocument.CHUNK_SESSION;
import static io.github.conversationstore.HeadDocument.CREATED_AT;
import static io.github.conversationstore.HeadDocument.END_SEQ;
import static io.github.conversationstore.HeadDocument.ERASED_AT;
import static io.github.conversationstore.HeadDocument.FORK;
import static io.github.conversationstore.HeadDocument.FORK_AT;
import static io.github.conversationstore.HeadDocument.FORK_CHAIN;
import static io.github.conversationstore.HeadDocument.FORK_GENERATION;
import static io.github.conversationstore.HeadDocument.FORK_SESSION;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.HEAD_BYTES;
import static io.github.conversationstore.HeadDocument.HEAD_SEQ;
import static io.github.conversationstore.HeadDocument.LANGUAGE;
import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.MESSAGE_COUNT;
import static io.github.conversationstore.HeadDocument.OWNER;
import static io.github.conversationstore.HeadDocument.SEGMENT_TO;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.UPDATED_AT;
import static io.github.conversationstore.HeadDocument.longField;
import static io.github.conversationstore.HeadDocument.messages;

import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.WriteModel;
import io.github.conversationstore.MongoContext.Deadline;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;

/**
 * Forks of the Mongo store: a conversation whose first messages are another's, by reference.
 *
 * <p>A fork's head is an ordinary head whose own messages begin at {@code atSequence}
 * ({@code headSeq = messageCount = atSequence} when it is created), with its own generation, and a
 * field {@code fork: {s, g, q, chain}}: the parent, the parent's generation (its life), the
 * sequence number and the <b>chain</b>, the flattened list of segments {@code {s, g, f, to}} (root
 * first) saying that sequence numbers {@code f .. to - 1} are the own messages of session {@code s}
 * in its life {@code g}. A fork of a fork copies its parent's chain (clipped) and adds the parent's
 * own segment, so a read of any range costs one archive query per segment it touches, never a
 * walk up the family. With encryption a segment also holds a copy of the wrapped data key of its
 * life, so a fork opens the shared messages whatever became of its ancestors' heads.
 *
 * <p>The shared messages are always read from the ancestors' <b>archive</b>: a fork first copies
 * the parent's head messages below {@code atSequence} to archive chunks of the parent's generation
 * (the copy step of a move without its trim: the parent's next move finds the chunk and trims
 * exactly what it holds, see MongoArchiveMover). Nothing is copied to the fork; the cost is bounded
 * by the head's size, not the parent's length.
 *
 * <p>References, in {@code <heads>_forks} (shard key {@code {sessionId: 1}}, the ancestor's): one
 * document per (ancestor life, descendant), {@code {_id: {s, g, c}, sessionId: s, generation: g,
 * child: c, to, direct, createdAt}}, written before the fork's head; {@code to} is how far the
 * descendant reads the ancestor's messages. The erasure of a life keeps exactly the chunks (and
 * summaries) below the largest {@code to} of its references and deletes the rest; when the last
 * reference goes, everything goes (see {@link #trimDeadLife}).
 */
final class MongoForks {
    static final String SUFFIX = "_forks";
    static final String CHILD = "child";
    static final String TO = SEGMENT_TO;
    static final String DIRECT = "direct";
    static final String SEGMENT_FROM = "f";
    /** A reference younger than this is never taken for a leftover of a fork that died half-made. */
    static final long LEFTOVER_GRACE_MILLIS = 3_600_000L;

    private static final Bson PARENT_FIELDS = Projections.include(GENERATION, MESSAGE_COUNT, HEAD_SEQ, HEAD_BYTES,
            ERASED_AT, LANGUAGE, OWNER, FORK, MongoDataKeys.KEY_ID, MongoDataKeys.DATA_KEY);

    /** Shared chunks kept in memory per store, at most this many bytes (as the chunks count them). */
    static final long SHARED_CACHE_BYTES = 16L * 1024 * 1024;

    private final MongoContext ctx;
    private final SharedChunks shared;

    MongoForks(MongoContext ctx) {
        this(ctx, SHARED_CACHE_BYTES);
    }

    /** Test seam and benchmark: {@code cacheBytes} 0 reads every shared chunk from the archive. */
    MongoForks(MongoContext ctx, long cacheBytes) {
        this.ctx = ctx;
        this.shared = new SharedChunks(cacheBytes);
    }

    /** See {@link ConversationStore#fork(String, long, String)}; the arguments are checked. */
    ConversationHeader fork(String parentId, long at, String childId) {
        if (ctx.foreignWriters) {
            throw new UnsupportedOperationException("forks are not supported beside the original backend (forOriginalBackend):"
                    + " its pushes do not keep the counters a fork relies on");
        }
        Deadline overall = ctx.deadline("fork", parentId, "fork session '" + parentId + "' into '" + childId + "'");
        Document existing = ctx.call(overall, d -> d.heads().find(new Document(SESSION_ID, childId))
                .projection(Projections.exclude(MESSAGES, HeadDocument.APPEND_KEYS, HeadDocument.APPEND_KEY_BLOCKS)).first());
        if (existing != null) {
            ConversationHeader repeat = repeat(existing, parentId, at);
            if (repeat != null) {
                return repeat; // made before, by an attempt whose reply was lost
            }
            refuseExisting(existing, childId);
        }
        Document parent = ctx.call(overall, d -> d.heads().find(new Document(SESSION_ID, parentId))
                .projection(PARENT_FIELDS).first());
        if (parent == null || parent.get(ERASED_AT) != null || !(parent.get(GENERATION) instanceof ObjectId)
                || (longField(parent, MESSAGE_COUNT) == 0 && parent.get(FORK) == null)) {
            throw missingParent(parentId);
        }
        if (!HeadDocument.adopted(parent)) {
            throw new IllegalStateException("session '" + parentId + "' is an original backend's document not adopted yet:"
                    + " append to it once before forking it");
        }
        long count = longField(parent, MESSAGE_COUNT);
        if (at > count) {
            throw new IllegalArgumentException("atSequence " + at + " is beyond the " + count + " messages of session '"
                    + parentId + "'");
        }
        ObjectId parentGeneration = parent.getObjectId(GENERATION);
        List<Document> chain = chainUpTo(parent, parentId, at);
        // 1. the parent's shared head messages go to its archive, where every fork reads them
        long headSeq = longField(parent, HEAD_SEQ);
        if (at > headSeq) {
            flush(parentId, parentGeneration, headSeq, at, overall);
        }
        ctx.reached("fork:flushed");
        // 2. the references, before the head: an erasure never misses a fork that will exist
        Date now = Date.from(ctx.time.now());
        List<WriteModel<Document>> references = new ArrayList<>();
        boolean directInChain = false;
        for (Document segment : chain) {
            boolean direct = parentId.equals(segment.getString(FORK_SESSION))
                    && parentGeneration.equals(segment.get(FORK_GENERATION));
            directInChain |= direct;
            references.add(reference(segment.getString(FORK_SESSION), segment.get(FORK_GENERATION), childId,
                    longField(segment, TO), direct, now));
        }
        if (!directInChain) {
            references.add(reference(parentId, parentGeneration, childId, 0, true, now)); // listed, holds nothing
        }
        ctx.call(overall, d -> d.forks().bulkWrite(references));
        ctx.reached("fork:referenced");
        // 3. the parent still lives: an erasure after this read reads the references after its tombstone
        Document again = ctx.call(overall, d -> d.heads().find(new Document(SESSION_ID, parentId))
                .projection(Projections.include(GENERATION, ERASED_AT)).first());
        if (again == null || again.get(ERASED_AT) != null || !parentGeneration.equals(again.get(GENERATION))) {
            unreference(childId, chain, parentId, parentGeneration, overall);
            throw missingParent(parentId);
        }
        // 4. the fork's head
        Document head = childHead(childId, parent, parentId, at, chain, now, overall);
        if (existing == null) {
            boolean inserted = ctx.call(overall, d -> {
                try {
                    d.heads().insertOne(head);
                    return true;
                } catch (RuntimeException e) {
                    if (MongoFailure.of(e) == MongoFailure.DUPLICATE_KEY) {
                        return false;
                    }
                    throw e;
                }
            });
            if (!inserted) {
                return settleRace(childId, parentId, at, chain, parentGeneration, overall);
            }
        } else {
            // a session that only holds a lease: it becomes the fork, its lease kept
            Document set = new Document(head);
            set.remove("_id");
            set.remove(SESSION_ID);
            long matched = ctx.call(overall, d -> d.heads().updateOne(new Document(SESSION_ID, childId)
                            .append("_id", existing.get("_id"))
                            .append(FORK, new Document("$exists", false))
                            .append(ERASED_AT, new Document("$exists", false))
                            .append("$or", List.of(new Document(MESSAGE_COUNT, new Document("$exists", false)),
                                    new Document(MESSAGE_COUNT, 0L))),
                    new Document("$set", set)).getMatchedCount());
            if (matched == 0) {
                return settleRace(childId, parentId, at, chain, parentGeneration, overall);
            }
        }
        return HeadDocument.header(head, at, ctx.keys);
    }

    /** The fork's head as inserted: an empty head whose own messages begin at {@code at}. */
    private Document childHead(String childId, Document parent, String parentId, long at, List<Document> chain, Date now,
            Deadline deadline) {
        Document head = new Document("_id", new ObjectId())
                .append(SESSION_ID, childId)
                .append(LANGUAGE, parent.get(LANGUAGE))
                .append(CREATED_AT, now)
                .append(UPDATED_AT, now)
                .append(MESSAGES, List.of())
                .append(HEAD_SEQ, at)
                .append(MESSAGE_COUNT, at)
                .append(HEAD_BYTES, 0L)
                .append(GENERATION, new ObjectId())
                .append(HeadDocument.APPEND_KEYS, List.of())
                .append(FORK, new Document(FORK_SESSION, parentId)
                        .append(FORK_GENERATION, parent.get(GENERATION))
                        .append(FORK_AT, at)
                        .append(FORK_CHAIN, chain));
        if (parent.get(OWNER) != null) {
            head.append(OWNER, parent.get(OWNER));
        }
        ctx.keys.onFork(childId, head, deadline);
        return head;
    }

    /** The fork's head was created meanwhile by another call: the same fork is the answer, any other a refusal. */
    private ConversationHeader settleRace(String childId, String parentId, long at, List<Document> chain,
            ObjectId parentGeneration, Deadline overall) {
        Document now = ctx.call(overall, d -> d.heads().find(new Document(SESSION_ID, childId))
                .projection(Projections.exclude(MESSAGES, HeadDocument.APPEND_KEYS, HeadDocument.APPEND_KEY_BLOCKS)).first());
        ConversationHeader repeat = now == null ? null : repeat(now, parentId, at);
        if (repeat != null) {
            return repeat;
        }
        unreference(childId, chain, parentId, parentGeneration, overall);
        if (now == null) {
            throw new ConcurrentAppendException("fork into '" + childId + "': the session was created and deleted while"
                    + " the fork was made; retry with the same arguments", null);
        }
        refuseExisting(now, childId);
        throw new IllegalStateException("unreachable");
    }

    /** The header of {@code head} if it is the fork these arguments make, null otherwise. */
    private ConversationHeader repeat(Document head, String parentId, long at) {
        Object fork = head.get(FORK);
        if (head.get(ERASED_AT) == null && fork instanceof Document origin && parentId.equals(origin.getString(FORK_SESSION))
                && longField(origin, FORK_AT) == at) {
            return HeadDocument.header(head, longField(head, MESSAGE_COUNT), ctx.keys);
        }
        return null;
    }

    private static void refuseExisting(Document head, String childId) {
        if (head.get(ERASED_AT) != null) {
            throw new IllegalArgumentException("newSessionId '" + childId + "' names a deleted conversation: a fork needs"
                    + " a session id of its own");
        }
        if (head.get(FORK) != null || longField(head, MESSAGE_COUNT) > 0 || !HeadDocument.adopted(head)) {
            throw new IllegalArgumentException("newSessionId '" + childId + "' names an existing conversation: a fork needs"
                    + " a session id of its own");
        }
    }

    private static IllegalArgumentException missingParent(String parentId) {
        return new IllegalArgumentException("sessionId '" + parentId + "' names no conversation (missing or deleted):"
                + " nothing to fork");
    }

    /** The segments a fork at {@code at} of {@code parent} reads: the parent's chain, clipped, then the parent's own. */
    private static List<Document> chainUpTo(Document parent, String parentId, long at) {
        List<Document> out = new ArrayList<>();
        long from = 0;
        for (Document segment : HeadDocument.chain(parent)) {
            if (from >= at) {
                break;
            }
            long to = longField(segment, TO);
            out.add(to <= at ? segment : new Document(segment).append(TO, at));
            from = to;
        }
        long ownStart = HeadDocument.ownStart(parent);
        if (at > ownStart) {
            Document own = new Document(FORK_SESSION, parentId).append(FORK_GENERATION, parent.get(GENERATION))
                    .append(SEGMENT_FROM, ownStart).append(TO, at);
            if (parent.get(MongoDataKeys.KEY_ID) != null) {
                own.append(MongoDataKeys.KEY_ID, parent.get(MongoDataKeys.KEY_ID))
                        .append(MongoDataKeys.DATA_KEY, parent.get(MongoDataKeys.DATA_KEY));
            }
            out.add(own);
        }
        return out;
    }

    private static WriteModel<Document> reference(String ancestor, Object generation, String childId, long to,
            boolean direct, Date now) {
        Document id = new Document("s", ancestor).append("g", generation).append("c", childId);
        return new UpdateOneModel<>(new Document(SESSION_ID, ancestor).append("_id", id),
                new Document("$setOnInsert", new Document(GENERATION, generation).append(CHILD, childId)
                        .append(TO, to).append(DIRECT, direct).append(CREATED_AT, now)),
                new UpdateOptions().upsert(true));
    }

    /** Takes a fork's references back (it was not made, or it is deleted). */
    private void unreference(String childId, List<Document> chain, String parentId, Object parentGeneration,
            Deadline overall) {
        Set<String> ancestors = new LinkedHashSet<>();
        chain.forEach(segment -> ancestors.add(segment.getString(FORK_SESSION)));
        if (parentId != null) {
            ancestors.add(parentId);
        }
        for (String ancestor : ancestors) {
            ctx.call(overall, d -> d.forks().deleteMany(new Document(SESSION_ID, ancestor).append(CHILD, childId))
                    .getDeletedCount());
        }
    }

    /**
     * Copies the parent's head messages from {@code headSeq} up to {@code at} to archive chunks of
     * the life, where none holds them yet: the copy step of a move, whose trim the parent's next
     * move does. Looks for the chunk first (a fork at the same place before copied it: a reply
     * regenerated again and again), and reads the head's messages only for what no chunk holds.
     */
    private void flush(String sessionId, ObjectId generation, long headSeq, long at, Deadline overall) {
        long pos = headSeq;
        int reads = 0;
        while (pos < at) {
            long from = pos;
            Document chunkId = new Document(CHUNK_SESSION, sessionId).append(CHUNK_GENERATION, generation)
                    .append(CHUNK_FIRST_SEQ, from);
            Document copied = ctx.call(overall, d -> d.archive().find(new Document(SESSION_ID, sessionId).append("_id", chunkId))
                    .projection(Projections.include(END_SEQ)).first());
            if (copied != null) {
                pos = Math.max(pos + 1, longField(copied, END_SEQ));
                continue;
            }
            if (++reads > 4) {
                throw new ConcurrentAppendException("fork of session '" + sessionId + "': its head kept moving under the"
                        + " fork; retry with the same arguments", null);
            }
            Document head = ctx.call(overall, d -> d.heads().find(new Document(SESSION_ID, sessionId).append(GENERATION, generation))
                    .projection(Projections.fields(Projections.include(HEAD_SEQ, GENERATION),
                            Projections.slice(MESSAGES, 0, (int) Math.min(Integer.MAX_VALUE, at - headSeq)))).first());
            if (head == null) {
                throw missingParent(sessionId); // deleted under the fork: the recheck would refuse it too
            }
            long nowAt = longField(head, HEAD_SEQ);
            if (nowAt > from) {
                continue; // a move took them to the archive meanwhile: its chunk is at from
            }
            List<Document> inHead = messages(head);
            int skip = (int) (from - nowAt);
            int take = (int) Math.min(inHead.size() - (long) skip, at - from);
            if (take <= 0) {
                throw new ConcurrentAppendException("fork of session '" + sessionId + "': its head changed under the"
                        + " fork; retry with the same arguments", null);
            }
            List<Document> part = new ArrayList<>(inHead.subList(skip, skip + take));
            long end = from + take;
            long reached = ctx.call(overall, d -> {
                try {
                    d.archive().insertOne(new Document("_id", chunkId)
                            .append(SESSION_ID, sessionId)
                            .append(GENERATION, generation)
                            .append(END_SEQ, end)
                            .append(BYTES, MessageCodec.estimateBytes(part))
                            .append(ARCHIVED_AT, Date.from(ctx.time.now()))
                            .append(MESSAGES, part));
                    return end;
                } catch (RuntimeException e) {
                    if (MongoFailure.of(e) != MongoFailure.DUPLICATE_KEY) {
                        throw e;
                    }
                    Document there = d.archive().find(new Document(SESSION_ID, sessionId).append("_id", chunkId))
                            .projection(Projections.include(END_SEQ)).first();
                    return there == null ? from : longField(there, END_SEQ);
                }
            });
            if (reached <= pos) {
                throw new ConcurrentAppendException("fork of session '" + sessionId + "': its archive changed under the"
                        + " fork; retry with the same arguments", null);
            }
            pos = reached;
        }
    }

    /**
     * Adds the messages {@code from .. to - 1} of a fork's shared range to {@code out}, each with
     * the segment it came from in {@code origins}: one archive query for all the segments the range
     * touches (an {@code $or} of one range per segment, each with its session by equality, so
     * mongos sends it to the shards owning those sessions only). Returns false if a chunk is
     * missing (an erasure of the fork under the read).
     */
    boolean readShared(List<Document> chain, long from, long to, List<Document> out, List<Document> origins,
            Deadline deadline) {
        List<Document> touched = new ArrayList<>();
        List<long[]> ranges = new ArrayList<>();
        long segmentFrom = 0;
        for (Document segment : chain) {
            long segmentTo = longField(segment, TO);
            long start = Math.max(from, segmentFrom);
            long until = Math.min(to, segmentTo);
            if (start < until) {
                touched.add(segment);
                ranges.add(new long[] {start, until});
            }
            segmentFrom = segmentTo;
        }
        if (touched.isEmpty()) {
            return from >= to;
        }
        // what this process read before is served from memory; the rest is one query
        List<List<Document>> cached = new ArrayList<>(touched.size());
        List<Document> clauses = new ArrayList<>(touched.size());
        long wanted = 0;
        for (int i = 0; i < touched.size(); i++) {
            List<Document> hit = shared.covering(touched.get(i).getString(FORK_SESSION), touched.get(i).get(FORK_GENERATION),
                    ranges.get(i)[0], ranges.get(i)[1]);
            cached.add(hit);
            if (hit != null) {
                continue;
            }
            clauses.add(new Document(SESSION_ID, touched.get(i).getString(FORK_SESSION))
                    .append(GENERATION, touched.get(i).get(FORK_GENERATION))
                    .append(END_SEQ, new Document("$gt", ranges.get(i)[0]))
                    .append("_id." + CHUNK_FIRST_SEQ, new Document("$lt", ranges.get(i)[1])));
            wanted += ranges.get(i)[1] - ranges.get(i)[0];
        }
        List<Document> chunks = new ArrayList<>();
        if (!clauses.isEmpty()) {
            Document filter = clauses.size() == 1 ? clauses.get(0) : new Document("$or", clauses);
            deadline.archive().find(filter)
                    .batchSize((int) Math.max(2, Math.min(100, wanted / Math.max(1, ctx.maxHeadMessages / 2) + 2 * touched.size())))
                    .into(chunks);
            chunks.forEach(shared::put);
        }
        cached.forEach(hit -> {
            if (hit != null) {
                chunks.addAll(hit);
            }
        });
        chunks.sort(Comparator.comparingLong(c -> longField(c.get("_id", Document.class), CHUNK_FIRST_SEQ)));
        long pos = from;
        for (int i = 0; i < touched.size(); i++) {
            Document segment = touched.get(i);
            String source = segment.getString(FORK_SESSION);
            Object generation = segment.get(FORK_GENERATION);
            long until = ranges.get(i)[1];
            for (Document chunk : chunks) {
                if (pos >= until) {
                    break;
                }
                if (!source.equals(chunk.getString(SESSION_ID)) || !generation.equals(chunk.get(GENERATION))
                        || longField(chunk, END_SEQ) <= pos) {
                    continue;
                }
                long chunkFirst = longField(chunk.get("_id", Document.class), CHUNK_FIRST_SEQ);
                if (chunkFirst > pos) {
                    return false; // a gap
                }
                List<Document> msgs = messages(chunk);
                for (long k = pos - chunkFirst; k < msgs.size() && pos < until; k++) {
                    out.add(msgs.get((int) k));
                    origins.add(segment);
                    pos++;
                }
            }
            if (pos < until) {
                return false;
            }
        }
        return pos >= to;
    }

    /** The headers of the live direct forks of {@code parentId}, after {@code after}: two queries. */
    List<ConversationHeader> forksOf(String parentId, String after, int limit) {
        return ctx.call("forks", parentId, "list the forks of session '" + parentId + "'", d -> {
            Document filter = new Document(SESSION_ID, parentId).append(DIRECT, true);
            if (after != null) {
                filter.append(CHILD, new Document("$gt", after));
            }
            List<String> children = new ArrayList<>();
            List<String> seen = new ArrayList<>();
            // a page of references, by child; a child of several of the parent's lives is listed once
            d.forks().find(filter).projection(Projections.include(CHILD)).sort(Sorts.ascending(SESSION_ID, CHILD))
                    .limit(limit).batchSize(Math.min(limit, MongoListing.BATCH))
                    .forEach(r -> {
                        String child = r.getString(CHILD);
                        if (!seen.contains(child)) {
                            seen.add(child);
                            children.add(child);
                        }
                    });
            if (children.isEmpty()) {
                return List.<ConversationHeader>of();
            }
            List<ConversationHeader> out = new ArrayList<>();
            Map<String, ConversationHeader> byId = new HashMap<>();
            d.heads().find(new Document(SESSION_ID, new Document("$in", children)))
                    .projection(Projections.exclude(MESSAGES, HeadDocument.APPEND_KEYS, HeadDocument.APPEND_KEY_BLOCKS))
                    .forEach(h -> {
                        ForkOrigin origin = HeadDocument.forkOrigin(h);
                        if (h.get(ERASED_AT) == null && origin != null && origin.sessionId().equals(parentId)) {
                            byId.put(h.getString(SESSION_ID), HeadDocument.header(h, longField(h, MESSAGE_COUNT), ctx.keys));
                        }
                    });
            for (String child : children) {
                if (byId.containsKey(child)) {
                    out.add(byId.get(child));
                }
            }
            return List.copyOf(out);
        });
    }

    /**
     * For a dead life {@code generation} of {@code sessionId} (its head deleted, or of another
     * generation): keeps the chunks and summaries its descendants read (below the largest
     * {@code to} of its references) and deletes the rest, the part of a chunk beyond it included.
     * With no reference left, deletes them all. Returns how many documents it deleted.
     */
    long trimDeadLife(String sessionId, Object generation, Deadline deadline) {
        shared.forget(sessionId, generation);
        Document newest = deadline.forks().find(new Document(SESSION_ID, sessionId).append(GENERATION, generation))
                .projection(Projections.include(TO)).sort(Sorts.descending(TO)).limit(1).first();
        long keep = newest == null ? 0 : longField(newest, TO);
        Document life = new Document(SESSION_ID, sessionId).append(GENERATION, generation);
        if (keep == 0) {
            return deadline.archive().deleteMany(life).getDeletedCount()
                    + deadline.summaries().deleteMany(life).getDeletedCount();
        }
        long deleted = deadline.archive().deleteMany(new Document(life)
                .append("_id." + CHUNK_FIRST_SEQ, new Document("$gte", keep))).getDeletedCount();
        // the chunk across the boundary keeps only what is referenced
        for (Document chunk : deadline.archive().find(new Document(life)
                        .append("_id." + CHUNK_FIRST_SEQ, new Document("$lt", keep))
                        .append(END_SEQ, new Document("$gt", keep)))
                .projection(Projections.include("_id")).into(new ArrayList<>())) {
            long first = longField(chunk.get("_id", Document.class), CHUNK_FIRST_SEQ);
            deadline.archive().updateOne(new Document(SESSION_ID, sessionId).append("_id", chunk.get("_id")),
                    new Document("$push", new Document(MESSAGES, new Document("$each", List.of())
                            .append("$slice", (int) (keep - first))))
                            .append("$set", new Document(END_SEQ, keep)));
        }
        deleted += deadline.summaries().deleteMany(new Document(life)
                .append(MongoSummaries.TO, new Document("$gt", keep))).getDeletedCount();
        return deleted;
    }

    /**
     * {@link #trimDeadLife} for the sweep: first drops the references of the dead life whose
     * descendant no longer reads it (its head removed by the retention TTL index, or a fork that
     * died between its references and its head), if older than {@value #LEFTOVER_GRACE_MILLIS} ms
     * of server time, so that a fork being made is never taken for one. Reads up to 1,000
     * references and their heads ({@code $in} on the shard key).
     */
    long sweepDeadLife(String sessionId, Object generation, Deadline deadline) {
        List<Document> references = deadline.forks().find(new Document(SESSION_ID, sessionId).append(GENERATION, generation))
                .projection(Projections.include(CHILD, CREATED_AT)).limit(1000).into(new ArrayList<>());
        long removed = 0;
        if (!references.isEmpty()) {
            List<String> children = new ArrayList<>();
            references.forEach(r -> children.add(r.getString(CHILD)));
            Map<String, Document> heads = new HashMap<>();
            deadline.heads().find(new Document(SESSION_ID, new Document("$in", children)))
                    .projection(Projections.include(SESSION_ID, FORK, HeadDocument.ERASED_FORK))
                    .forEach(h -> heads.put(h.getString(SESSION_ID), h));
            Date cutoff = Date.from(ctx.time.now().minusMillis(LEFTOVER_GRACE_MILLIS));
            for (Document reference : references) {
                Object created = reference.get(CREATED_AT);
                boolean old = created instanceof Date date && date.before(cutoff);
                if (old && !reads(heads.get(reference.getString(CHILD)), sessionId, generation)) {
                    removed += deadline.forks().deleteOne(new Document(SESSION_ID, sessionId)
                            .append("_id", reference.get("_id"))).getDeletedCount();
                }
            }
        }
        return removed + trimDeadLife(sessionId, generation, deadline);
    }

    /** Whether {@code head} (null: none) is a fork, live or erased but not yet released, of the life. */
    private static boolean reads(Document head, String sessionId, Object generation) {
        if (head == null) {
            return false;
        }
        Object value = head.get(FORK) != null ? head.get(FORK) : head.get(HeadDocument.ERASED_FORK);
        if (!(value instanceof Document fork)) {
            return false;
        }
        if (sessionId.equals(fork.getString(FORK_SESSION)) && generation.equals(fork.get(FORK_GENERATION))) {
            return true;
        }
        for (Document segment : fork.getList(FORK_CHAIN, Document.class, List.of())) {
            if (sessionId.equals(segment.getString(FORK_SESSION)) && generation.equals(segment.get(FORK_GENERATION))) {
                return true;
            }
        }
        return false;
    }

    /**
     * A deleted fork's references go, and each ancestor life it read that is dead itself keeps
     * only what its other descendants read.
     */
    void release(String childId, Document fork, Deadline overall) {
        List<Document> chain = fork.getList(FORK_CHAIN, Document.class, List.of());
        unreference(childId, chain, fork.getString(FORK_SESSION), fork.get(FORK_GENERATION), overall);
        for (Document segment : chain) {
            String ancestor = segment.getString(FORK_SESSION);
            Object generation = segment.get(FORK_GENERATION);
            ctx.call(overall, d -> {
                Document head = d.heads().find(new Document(SESSION_ID, ancestor))
                        .projection(Projections.include(GENERATION, ERASED_AT)).first();
                boolean live = head != null && head.get(ERASED_AT) == null && generation.equals(head.get(GENERATION));
                return live ? 0L : trimDeadLife(ancestor, generation, d);
            });
        }
    }
}
