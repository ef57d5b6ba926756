package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.APPEND_ID;
import static io.github.conversationstore.HeadDocument.CHUNK_FIRST_SEQ;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.HEAD_SEQ;
import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.MESSAGE_COUNT;
import static io.github.conversationstore.HeadDocument.RECENT_APPENDS;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.longField;
import static io.github.conversationstore.HeadDocument.messages;

import com.mongodb.client.model.Projections;
import io.github.conversationstore.MongoContext.Deadline;
import java.util.List;
import java.util.Optional;
import org.bson.Document;

/**
 * Repeated append ids of the Mongo store: where an applied append id's batch starts (in the head,
 * in the archive of the head's life, or in a version 0.1 head's {@code recentAppends}), and whether
 * the stored batch is this call's own lost attempt, a duplicate of an earlier call, or a conflict.
 * {@link MongoAppender} asks after a refused update; reads go to the primary through the deadline.
 */
final class MongoRepeats {
    private final MongoContext ctx;
    private final MongoReader reader;

    MongoRepeats(MongoContext ctx, MongoReader reader) {
        this.ctx = ctx;
        this.reader = reader;
    }

    /** What an append deduplicated beyond the window saw before its update. */
    record BeyondWindow(Object headSeq, boolean archived) {
        static final BeyondWindow NONE = new BeyondWindow(null, false);
    }

    /**
     * For an append id looked up beyond the window: the head's headSeq and generation, then one
     * indexed read of that generation's archive. The update is then guarded on that headSeq, so a
     * move between the reads and the update (carrying the id out of the head unseen by both) makes
     * it refused, and the next attempt looks again.
     */
    static BeyondWindow lookUpBeyondWindow(AppendRequest request, Deadline deadline) {
        Document head = deadline.heads().find(new Document(SESSION_ID, request.sessionId()))
                .projection(Projections.fields(Projections.include(HEAD_SEQ, GENERATION), Projections.excludeId()))
                .first();
        if (head == null || head.get(GENERATION) == null) {
            return BeyondWindow.NONE; // no conversation (or one of the original backend's): no archive to look in
        }
        boolean archived = deadline.archive().find(new Document(SESSION_ID, request.sessionId())
                        .append(GENERATION, head.get(GENERATION))
                        .append(MESSAGES + "." + MessageCodec.APPEND_ID, request.appendId()))
                .projection(Projections.include("_id")).first() != null;
        return new BeyondWindow(head.get(HEAD_SEQ), archived);
    }

    /** A stored message of this session in clear; its data key is the head's, settled before. */
    private Document opened(String sessionId, Document doc, Deadline deadline) {
        Document opened = ctx.keys.open(sessionId, doc, deadline);
        if (opened == null) {
            throw new ConversationStoreUnavailableException("could not read a stored message of session '" + sessionId
                    + "': the session was deleted meanwhile; retry with the same append id", null);
        }
        return opened;
    }

    /**
     * For a fenced append whose holder lost the lease after this call's own attempt may have been
     * applied: the result of that attempt, if its batch is stored (its first message's element id
     * is this call's); otherwise empty.
     */
    Optional<AppendResult> appliedByThisCall(MongoAppender.Batch batch, Document head, Deadline deadline) {
        AppendRequest request = batch.request();
        if (!AppendKeys.heldBy(head, batch.key()) && !request.dedupBeyondWindow()) {
            return Optional.empty();
        }
        Optional<Long> first = locate(head, request, deadline);
        if (first.isEmpty()) {
            return Optional.empty();
        }
        MongoReader.Page page = reader.read(request.sessionId(), first.get(), 1, head.get(GENERATION), deadline);
        if (page == null || page.documents().isEmpty()
                || !batch.encoded().get(0).get(MessageCodec.ELEMENT_ID).equals(page.documents().get(0).get(MessageCodec.ELEMENT_ID))) {
            return Optional.empty();
        }
        return Optional.of(new AppendResult(request.appendId(), first.get(), batch.size(), first.get() == 0, false));
    }

    /**
     * Finds where the messages of an applied append id start: in the head (whose messages were
     * read as their append id markers only), or in an archive chunk of the head's generation.
     */
    Optional<Long> locate(Document head, AppendRequest request, Deadline deadline) {
        List<Document> markers = messages(head);
        for (int i = markers.size() - 1; i >= 0; i--) {
            if (request.appendId().equals(MessageCodec.appendIdOf(markers.get(i)))) {
                return Optional.of(longField(head, HEAD_SEQ) + i);
            }
        }
        Document chunk = deadline.archive().find(new Document(SESSION_ID, request.sessionId())
                        .append(GENERATION, head.get(GENERATION))
                        .append(MESSAGES + "." + MessageCodec.APPEND_ID, request.appendId()))
                .projection(Projections.include("_id", MESSAGES + "." + MessageCodec.APPEND_ID))
                .first();
        if (chunk == null) {
            return Optional.empty();
        }
        List<Document> chunkMarkers = messages(chunk);
        for (int i = 0; i < chunkMarkers.size(); i++) {
            if (request.appendId().equals(MessageCodec.appendIdOf(chunkMarkers.get(i)))) {
                return Optional.of(longField(chunk.get("_id", Document.class), CHUNK_FIRST_SEQ) + i);
            }
        }
        return Optional.empty();
    }

    /**
     * Where a version 0.1 head's {@code recentAppends} entry {@code {id, n}} for this append id puts
     * its messages: the entries are contiguous and end where the first message written by a later
     * version (the first with an append id marker) starts, or at the message count.
     */
    static Optional<Long> legacyLocate(Document head, String appendId) {
        List<Document> entries = head.getList(RECENT_APPENDS, Document.class, List.of());
        if (entries.isEmpty()) {
            return Optional.empty();
        }
        long end = longField(head, MESSAGE_COUNT);
        List<Document> markers = messages(head);
        for (int i = 0; i < markers.size(); i++) {
            if (MessageCodec.appendIdOf(markers.get(i)) != null) {
                end = longField(head, HEAD_SEQ) + i;
                break;
            }
        }
        for (int i = entries.size() - 1; i >= 0; i--) {
            long first = end - ((Number) entries.get(i).get("n")).longValue();
            if (appendId.equals(entries.get(i).getString(APPEND_ID))) {
                return Optional.of(Math.max(0, first));
            }
            end = first;
        }
        return Optional.empty();
    }

    /**
     * The result of a repeated append id whose messages start at {@code first} in the life
     * {@code generation}: a duplicate if the stored batch says what the request says, otherwise
     * {@link AppendConflictException}. Batches written by this version also have to start and end
     * where the request's would (append id markers); those of version 0.1 have none. Whether the
     * batch was written by this very call (an attempt whose reply was lost) or by an earlier call is
     * told by its first message's element id, drawn once per call. Empty if the session was deleted
     * since the batch was found: the append is then tried again in the new life.
     */
    Optional<AppendResult> repeated(MongoAppender.Batch batch, long first, boolean marked, boolean ownAttemptMayHaveApplied,
            Object generation, Deadline deadline) {
        AppendRequest request = batch.request();
        MongoReader.Page page = reader.read(request.sessionId(), first, batch.size() + 1, generation, deadline);
        if (page == null) {
            return Optional.empty();
        }
        List<Document> stored = page.documents();
        if (marked && !stored.isEmpty()
                && batch.encoded().get(0).get(MessageCodec.ELEMENT_ID).equals(stored.get(0).get(MessageCodec.ELEMENT_ID))) {
            // this call's own attempt, whose reply was lost: nothing to compare (the element id is drawn per call)
            return Optional.of(new AppendResult(request.appendId(), first, batch.size(), first == 0, false));
        }
        boolean same = stored.size() >= batch.size()
                && (!marked || stored.size() == batch.size() || MessageCodec.appendIdOf(stored.get(batch.size())) != null
                        || ctx.foreignWriters);
        for (int i = 0; same && i < batch.size(); i++) {
            Document doc = stored.get(i);
            String marker = MessageCodec.appendIdOf(doc);
            same = (!marked || (i == 0 ? request.appendId().equals(marker) : marker == null))
                    && MessageCodec.sameContent(MessageCodec.decode(opened(request.sessionId(), doc, deadline)),
                            request.messages().get(i));
        }
        if (!same) {
            throw AppendConflictException.of(request, first);
        }
        boolean byThisCall = marked
                ? batch.encoded().get(0).get(MessageCodec.ELEMENT_ID).equals(stored.get(0).get(MessageCodec.ELEMENT_ID))
                : ownAttemptMayHaveApplied;
        return Optional.of(byThisCall
                ? new AppendResult(request.appendId(), first, batch.size(), first == 0, false)
                : new AppendResult(request.appendId(), first, batch.size(), false, true));
    }
}
