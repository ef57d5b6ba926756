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

import com.mongodb.client.model.Projections;
import io.github.conversationstore.MongoContext.Deadline;
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
    private static final Bson HEAD = Projections.include(MESSAGE_COUNT, HEAD_SEQ, HEAD_BYTES, GENERATION, MESSAGES);

    private final MongoContext ctx;

    MongoArchiveMover(MongoContext ctx) {
        this.ctx = ctx;
    }

    /** Moves after a successful append; the append stands whatever happens here. */
    void moveQuietly(String sessionId) {
        try {
            move(sessionId, ctx.maxHeadBytes / 2, ctx.deadline("move messages of session '" + sessionId + "' to the archive"));
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
            Document head = deadline.heads().find(new Document(SESSION_ID, sessionId)).projection(HEAD).first();
            if (head == null || !adopted(head)) {
                return;
            }
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
                return;
            }
            ctx.reached("read");
            k = copy(sessionId, generation, firstSeq, messages.subList(0, k), chunkBytes, deadline);
            if (k < 0 || k > messages.size()) {
                return;
            }
            ctx.reached("copied");
            if (!trim(sessionId, generation, firstSeq, k, head, deadline)) {
                return;
            }
            ctx.reached("trimmed");
            if (messages.size() - k <= keepAtMost && headBytes - chunkBytes <= targetBytes) {
                return; // small enough, unless appends landed meanwhile (the next threshold moves again)
            }
        }
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
            Document existing = deadline.archive().find(new Document("_id", chunkId))
                    .projection(Projections.include(END_SEQ)).first();
            return existing == null ? -1 : (int) (longField(existing, END_SEQ) - firstSeq);
        }
    }

    /**
     * Trims the first {@code k} messages of the head read as {@code head}, guarded on its exact
     * state; after a refusal, reads again and retries while the same messages still lead the head.
     */
    private boolean trim(String sessionId, ObjectId generation, long firstSeq, int k, Document head, Deadline deadline) {
        Document current = head;
        for (int attempt = 0; attempt < MAX_TRIM_ATTEMPTS; attempt++) {
            List<Document> messages = messages(current);
            List<Document> kept = messages.subList(k, messages.size());
            long modified = deadline.heads().updateOne(
                    new Document(SESSION_ID, sessionId).append(GENERATION, generation)
                            .append(HEAD_SEQ, firstSeq).append(MESSAGES, new Document("$size", messages.size())),
                    new Document("$push", new Document(MESSAGES, new Document("$each", List.of())
                                    .append("$slice", -kept.size())))
                            .append("$set", new Document(HEAD_SEQ, firstSeq + k)
                                    .append(MESSAGE_COUNT, firstSeq + messages.size())
                                    .append(HEAD_BYTES, MessageCodec.estimateBytes(kept))))
                    .getModifiedCount();
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
}
