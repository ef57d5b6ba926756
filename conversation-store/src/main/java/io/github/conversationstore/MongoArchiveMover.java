package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.ARCHIVED_AT;
import static io.github.conversationstore.HeadDocument.BYTES;
import static io.github.conversationstore.HeadDocument.CHUNK_FIRST_SEQ;
import static io.github.conversationstore.HeadDocument.CHUNK_GENERATION;
import static io.github.conversationstore.HeadDocument.CHUNK_SESSION;
import static io.github.conversationstore.HeadDocument.END_SEQ;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.HEAD_BYTES;
import static io.github.conversationstore.HeadDocument.HEAD_SEQ;
import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.MESSAGE_COUNT;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.adopted;
import static io.github.conversationstore.HeadDocument.longField;
import static io.github.conversationstore.HeadDocument.messages;

import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import io.github.conversationstore.MongoContext.Deadline;
import io.github.conversationstore.spi.StoreListener;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;

/**
 * Moves the oldest messages of a head to immutable archive chunks, so that heads stay small.
 *
 * <p>Each round: read the head on the primary; copy its first K messages to the chunk
 * {@code {s, g, q: headSeq}}, written with majority whatever the store's write concern (an existing
 * chunk from an interrupted move wins, with its own K); then trim exactly those K with an update
 * guarded on the generation, {@code headSeq} and the array's exact length, which also sets the
 * counters to what the array then holds. The guard makes the trim refuse whenever anything was
 * pushed since the read, by this library or by another program that does not know its counters
 * (the trim then reads again). A crash between any two steps leaves a state reads handle (chunks at
 * or after {@code headSeq} are ignored) and that the next move completes.
 */
final class MongoArchiveMover {
    private static final int MAX_MOVE_ROUNDS = 16;
    private static final int MAX_TRIM_ATTEMPTS = 5;
    private static final Bson HEAD = Projections.include(MESSAGE_COUNT, HEAD_SEQ, HEAD_BYTES, GENERATION, MESSAGES,
            HeadDocument.APPEND_KEYS);
    /** Head field: until when a mover claims the head's next move (server time). */
    static final String MOVER_UNTIL = "moverUntil";

    private final MongoContext ctx;

    MongoArchiveMover(MongoContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Moves after a successful append, within what is left of the append's deadline; the append
     * stands whatever happens here.
     */
    void moveQuietly(String sessionId, Deadline deadline) {
        try {
            move(sessionId, ctx.maxHeadBytes / 2, deadline);
        } catch (RuntimeException e) {
            // maintenance only: the next threshold, or a full head, tries again
            if (MongoFailure.of(e) == MongoFailure.INTERRUPTED) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Moves until the head holds at most half its message bound and at most {@code targetBytes}
     * of messages.
     */
    void move(String sessionId, long targetBytes, Deadline deadline) {
        for (int round = 0; round < MAX_MOVE_ROUNDS; round++) {
            Document head = claim(sessionId, deadline);
            if (head == null) {
                return; // gone, or another mover is at work
            }
            boolean trimmed;
            try {
                trimmed = adopted(head) && moveOnce(sessionId, head, targetBytes, deadline);
            } catch (RuntimeException e) {
                release(sessionId, deadline);
                throw e;
            }
            if (!trimmed) {
                release(sessionId, deadline);
                return;
            }
            List<Document> left = messages(head);
            if (left.size() <= ctx.maxHeadMessages / 2 && MessageCodec.estimateBytes(left) <= targetBytes) {
                return; // small enough, unless appends landed meanwhile (the next threshold moves again)
            }
        }
    }

    /**
     * One round: copies the oldest messages of {@code head} to a chunk and trims them; returns
     * whether it trimmed (which also ends the claim). Leaves in {@code head}'s array what it kept.
     */
    private boolean moveOnce(String sessionId, Document head, long targetBytes, Deadline deadline) {
        long startNanos = ctx.observers.startNanos();
        long firstSeq = longField(head, HEAD_SEQ);
        ObjectId generation = head.getObjectId(GENERATION);
        List<Document> messages = messages(head);
        long headBytes = MessageCodec.estimateBytes(messages);
        int keepAtMost = ctx.maxHeadMessages / 2;
        long chunkLimit = ctx.maxDocumentBytes - MongoAppender.HEAD_OVERHEAD_BYTES;
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
            return false;
        }
        ctx.reached("read");
        k = copy(sessionId, generation, firstSeq, messages.subList(0, k), chunkBytes, deadline);
        if (k < 0 || k > messages.size()) {
            return false;
        }
        ctx.reached("copied");
        if (!trim(sessionId, generation, firstSeq, k, head, deadline)) {
            return false;
        }
        ctx.reached("trimmed");
        head.put(MESSAGES, new ArrayList<>(messages.subList(k, messages.size())));
        int moved = k;
        long bytes = MessageCodec.estimateBytes(messages.subList(0, k));
        Observers.LOG.log(System.Logger.Level.DEBUG, () -> "moved " + moved + " messages (" + bytes + " bytes) to the archive");
        if (ctx.observers.active()) {
            String session = ctx.observers.session(sessionId);
            ctx.observers.emit(l -> l.onMove(new StoreListener.Move(session, moved, bytes, Observers.startOf(startNanos),
                    Observers.since(startNanos))));
        }
        return true;
    }

    /** Ends this mover's claim early (best effort: it expires anyway). */
    private void release(String sessionId, Deadline deadline) {
        try {
            deadline.heads().updateOne(new Document(SESSION_ID, sessionId), new Document("$unset", new Document(MOVER_UNTIL, "")));
        } catch (RuntimeException e) {
            // the claim expires on its own
        }
    }

    /**
     * Claims the move for a short while and reads the head, in one command: concurrent appenders
     * that pass move thresholds while a move is under way leave it to that mover instead of
     * copying the same chunk again. Correctness never depends on the claim (the chunk's id and the
     * guarded trim make concurrent moves safe); it only spares the work. A mover that dies leaves
     * a claim that expires by the server's time. Returns null if the head is gone or claimed.
     */
    private Document claim(String sessionId, Deadline deadline) {
        Date now = Date.from(ctx.time.now());
        return deadline.heads().findOneAndUpdate(
                new Document(SESSION_ID, sessionId).append("$or", List.of(
                        new Document(MOVER_UNTIL, null), new Document(MOVER_UNTIL, new Document("$lte", now)))),
                new Document("$set", new Document(MOVER_UNTIL, Date.from(now.toInstant().plus(ctx.moveClaim())))),
                new FindOneAndUpdateOptions().projection(HEAD).returnDocument(ReturnDocument.AFTER));
    }

    /**
     * Writes the chunk of messages from {@code firstSeq}; returns how many messages the chunk at
     * that place holds (an interrupted move may have written it already), or -1 if it vanished.
     */
    private int copy(String sessionId, ObjectId generation, long firstSeq, List<Document> messages, long bytes,
            Deadline deadline) {
        Document chunkId = new Document(CHUNK_SESSION, sessionId).append(CHUNK_GENERATION, generation)
                .append(CHUNK_FIRST_SEQ, firstSeq);
        try {
            deadline.archive().insertOne(new Document("_id", chunkId)
                    .append(SESSION_ID, sessionId)
                    .append(GENERATION, generation)
                    .append(END_SEQ, firstSeq + messages.size())
                    .append(BYTES, bytes)
                    .append(ARCHIVED_AT, Date.from(ctx.time.now()))
                    .append(MESSAGES, new ArrayList<>(messages)));
            return messages.size();
        } catch (RuntimeException e) {
            if (MongoFailure.of(e) != MongoFailure.DUPLICATE_KEY) {
                throw e;
            }
            // an interrupted move copied this chunk already: trim exactly what it holds
            Document existing = deadline.archive().find(new Document(SESSION_ID, sessionId).append("_id", chunkId))
                    .projection(Projections.include(END_SEQ)).first();
            return existing == null ? -1 : (int) (longField(existing, END_SEQ) - firstSeq);
        }
    }

    /**
     * Trims the first {@code k} messages of the head read as {@code head}. When each of them has
     * its own element id ({@code _id}, which this library and Mongoose give every message), they
     * are pulled by id, guarded on the generation and {@code headSeq}: appends landing meanwhile do
     * not refuse the trim, so concurrent appenders cannot starve it. Otherwise, and where other
     * programs write without the library's counters, the trim is guarded on the array's exact
     * length and sets the counters to what the array then holds; after a refusal it reads again
     * and retries while the same messages still lead the head.
     */
    private boolean trim(String sessionId, ObjectId generation, long firstSeq, int k, Document head, Deadline deadline) {
        List<Document> first = messages(head).subList(0, k);
        List<Object> ids = new ArrayList<>(k);
        for (Document m : first) {
            Object id = m.get(MessageCodec.ELEMENT_ID);
            if (!(id instanceof ObjectId) || ids.contains(id)) {
                break;
            }
            ids.add(id);
        }
        if (!ctx.foreignWriters && ids.size() == k) {
            Document update = new Document("$pull",
                            new Document(MESSAGES, new Document(MessageCodec.ELEMENT_ID, new Document("$in", ids))))
                    .append("$unset", new Document(MOVER_UNTIL, ""))
                    .append("$inc", new Document(HEAD_SEQ, (long) k).append(HEAD_BYTES, -MessageCodec.estimateBytes(first)));
            AppendKeys.packInto(update, head, ctx.limits.appendIdWindow());
            return deadline.heads().updateOne(
                    new Document(SESSION_ID, sessionId).append(GENERATION, generation).append(HEAD_SEQ, firstSeq), update)
                    .getModifiedCount() == 1;
        }
        Document current = head;
        for (int attempt = 0; attempt < MAX_TRIM_ATTEMPTS; attempt++) {
            List<Document> messages = messages(current);
            List<Document> kept = messages.subList(k, messages.size());
            Document update = new Document("$push",
                            new Document(MESSAGES, new Document("$each", List.of()).append("$slice", -kept.size())))
                    .append("$unset", new Document(MOVER_UNTIL, ""))
                    .append("$set", new Document(HEAD_SEQ, firstSeq + k)
                            .append(MESSAGE_COUNT, firstSeq + messages.size())
                            .append(HEAD_BYTES, MessageCodec.estimateBytes(kept)));
            AppendKeys.packInto(update, current, ctx.limits.appendIdWindow());
            long modified = deadline.heads().updateOne(
                    new Document(SESSION_ID, sessionId).append(GENERATION, generation)
                            .append(HEAD_SEQ, firstSeq).append(MESSAGES, new Document("$size", messages.size())),
                    update).getModifiedCount();
            if (modified == 1) {
                return true;
            }
            current = deadline.heads().find(new Document(SESSION_ID, sessionId)).projection(HEAD).first();
            if (current == null || !Objects.equals(generation, current.getObjectId(GENERATION))
                    || longField(current, HEAD_SEQ) != firstSeq || messages(current).size() < k) {
                return false; // deleted, or another mover trimmed first
            }
        }
        return false;
    }

    /**
     * Whether growing from {@code before} to {@code after} passes a move threshold: the bound, then
     * every half bound above it. Only the append that crosses one moves, so concurrent appenders do
     * not all move at once; if that move fails, the next threshold tries again.
     */
    static boolean crossed(long before, long after, long bound) {
        long step = Math.max(1, bound / 2);
        return thresholdsBelow(after, bound, step) > thresholdsBelow(before, bound, step);
    }

    private static long thresholdsBelow(long value, long bound, long step) {
        return value > bound ? (value - bound - 1) / step + 1 : 0;
    }
}
