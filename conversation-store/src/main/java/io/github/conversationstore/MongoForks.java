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
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.WriteModel;
import io.github.conversationstore.MongoContext.Deadline;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
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
 * document per (ancestor life, descendant, fork call), {@code {_id: {s, g, c, n}, sessionId: s,
 * generation: g, child: c, to, direct, createdAt}}, written before the fork's head; {@code to} is
 * how far the descendant reads the ancestor's messages, {@code n} the call's own id. A call that
 * does not make the fork (the parent erased under it, another call's head in its place) takes back
 * its own references only, never those of a call that made it, and trims what a dead life kept
 * for them; the call that made it removes the others' (one {@code deleteMany} per level). The
 * erasure of a life keeps exactly the chunks (and summaries) below the largest {@code to} of its
 * references and deletes the rest; when the last reference goes, everything goes (see
 * {@link MongoForkErasure}).
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

    private final MongoContext ctx;
    /** Takes references back and trims dead lives; set once, by its constructor, before the store is used. */
    private MongoForkErasure erasure;

    MongoForks(MongoContext ctx) {
        this.ctx = ctx;
    }

    void useErasure(MongoForkErasure erasure) {
        this.erasure = erasure;
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
        // this call's own references (another call making the same fork has its own): a call that
        // does not make the fork takes back exactly these, never those of the call that made it
        ObjectId attempt = new ObjectId();
        List<Document> lives = new ArrayList<>(chain);
        lives.add(new Document(FORK_SESSION, parentId).append(FORK_GENERATION, parentGeneration));
        List<Document> own = new ArrayList<>();
        boolean[] headSent = {false};
        try {
            return make(parent, parentId, at, childId, existing, chain, attempt, own, headSent, overall);
        } catch (IllegalArgumentException | ConcurrentAppendException e) {
            throw abandon(e, own, lives, overall);
        } catch (ConversationStoreUnavailableException e) {
            // outcome unknown, but before the head: no head of this call can exist, its references hold nothing
            throw headSent[0] ? e : abandon(e, own, lives, overall);
        }
    }

    /** Takes this call's references back (see {@link MongoForkErasure#abandon}) and returns {@code failure}. */
    private <E extends RuntimeException> E abandon(E failure, List<Document> own, List<Document> lives,
            Deadline overall) {
        try {
            erasure.abandon(own, lives, overall);
        } catch (RuntimeException cleanup) {
            failure.addSuppressed(cleanup); // what is left over is the sweep's (see MongoForkErasure#sweepDeadLife)
        }
        return failure;
    }

    /**
     * Steps 1 to 4 of a fork (see the class comment); {@code own} receives the ids of the references
     * written, {@code headSent} is set when the fork's head is about to be written.
     */
    private ConversationHeader make(Document parent, String parentId, long at, String childId, Document existing,
            List<Document> chain, ObjectId attempt, List<Document> own, boolean[] headSent, Deadline overall) {
        ObjectId parentGeneration = parent.getObjectId(GENERATION);
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
            references.add(reference(segment.getString(FORK_SESSION), segment.get(FORK_GENERATION), childId, attempt,
                    longField(segment, TO), direct, now, own));
        }
        if (!directInChain) { // listed, holds nothing
            references.add(reference(parentId, parentGeneration, childId, attempt, 0, true, now, own));
        }
        ctx.call(overall, d -> d.forks().bulkWrite(references));
        ctx.reached("fork:referenced");
        // 3. the parent still lives: an erasure after this read reads the references after its tombstone
        Document again = ctx.call(overall, d -> d.heads().find(new Document(SESSION_ID, parentId))
                .projection(Projections.include(GENERATION, ERASED_AT)).first());
        if (again == null || again.get(ERASED_AT) != null || !parentGeneration.equals(again.get(GENERATION))) {
            throw missingParent(parentId); // the references go, and what the erasure kept for them
        }
        // 4. the fork's head
        Document head = childHead(childId, parent, parentId, at, chain, now, overall);
        headSent[0] = true;
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
                return settleRace(childId, parentId, at, head, attempt, own, overall);
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
                return settleRace(childId, parentId, at, head, attempt, own, overall);
            }
        }
        erasure.dropOthers(childId, attempt, own, overall);
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

    /**
     * The fork's head was not written by this call's insert (or update): the same fork is the
     * answer, any other a refusal. A fork made by another call reads through that call's
     * references, so this call's go.
     */
    private ConversationHeader settleRace(String childId, String parentId, long at, Document ours, ObjectId attempt,
            List<Document> own, Deadline overall) {
        Document now = ctx.call(overall, d -> d.heads().find(new Document(SESSION_ID, childId))
                .projection(Projections.exclude(MESSAGES, HeadDocument.APPEND_KEYS, HeadDocument.APPEND_KEY_BLOCKS)).first());
        ConversationHeader repeat = now == null ? null : repeat(now, parentId, at);
        if (repeat != null) {
            if (ours.get(GENERATION).equals(now.get(GENERATION))) {
                erasure.dropOthers(childId, attempt, own, overall); // made by this call: an attempt's reply was lost
            } else {
                erasure.dropOwn(own, overall); // made by another call, whose references it reads
            }
            return repeat;
        }
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

    /**
     * The upsert of one reference of this call ({@code attempt}), whose id it adds to {@code own};
     * a retry of the same call finds it.
     */
    private static WriteModel<Document> reference(String ancestor, Object generation, String childId, ObjectId attempt,
            long to, boolean direct, Date now, List<Document> own) {
        Document id = new Document("s", ancestor).append("g", generation).append("c", childId).append("n", attempt);
        own.add(id);
        return new UpdateOneModel<>(new Document(SESSION_ID, ancestor).append("_id", id),
                new Document("$setOnInsert", new Document(GENERATION, generation).append(CHILD, childId)
                        .append(TO, to).append(DIRECT, direct).append(CREATED_AT, now)),
                new UpdateOptions().upsert(true));
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

}
