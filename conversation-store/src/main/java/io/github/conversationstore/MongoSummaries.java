package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.ERASED_AT;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.MESSAGE_COUNT;
import static io.github.conversationstore.HeadDocument.SESSION_ID;

import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.NoSuchElementException;
import org.bson.Document;

/**
 * The summaries of the Mongo store, in a collection of their own named after the heads collection
 * ({@code <heads>_summaries}). One immutable document per summary:
 *
 * <pre>
 * { _id: {s: sessionId, g: generation, f: fromSequence, t: toSequence},
 *   sessionId, generation, from, to, tokens, summary: {message as stored}, createdAt }
 * </pre>
 *
 * <p>The {@code _id} is derived from the session, its life (the head's generation) and the range,
 * so writing a summary twice stores it once (E11000 on the second insert: the stored one is the
 * answer). Every command names {@code sessionId}, the shard key, with equality. A deleted head
 * gets a new generation, so the summaries of an erased life are never read again; the erasure
 * also deletes them. A write whose insert lands after an erasure of its life (which has deleted
 * the life's summaries already) sees the head's new generation when it reads the head again, and
 * deletes what it inserted.
 */
final class MongoSummaries {
    static final String SUMMARY_SUFFIX = "_summaries";
    static final String FROM = "from";
    static final String TO = "to";
    static final String TOKENS = "tokens";
    static final String SUMMARY = "summary";
    static final String CREATED_AT = "createdAt";

    private final MongoContext ctx;

    MongoSummaries(MongoContext ctx) {
        this.ctx = ctx;
    }

    /** Reads up to {@code limit} messages of a session from {@code from} on. */
    interface Pages {
        List<StoredMessage> read(long from, int limit);
    }

    /**
     * Writes {@code summary}; with {@code lastMessageId}, only if the message at its
     * {@code toSequence - 1} has that id. That message and the one after the range (whose role
     * tells whether the range would end inside a tool exchange) are read between the read of the
     * head and the insert, and the head's generation is checked again after the insert: what was
     * read was the life the summary is stored in.
     */
    Summary write(String sessionId, Summary summary, String lastMessageId, Pages pages) {
        MongoContext.Deadline overall = ctx.deadline("summary", sessionId, "write a summary of session '" + sessionId + "'");
        Document head = ctx.call(overall, deadline -> deadline.heads().find(new Document(SESSION_ID, sessionId))
                .projection(Projections.include(GENERATION, MESSAGE_COUNT, ERASED_AT, MongoDataKeys.KEY_ID,
                        MongoDataKeys.DATA_KEY, HeadDocument.FORK)).first());
        if (head == null || head.get(ERASED_AT) != null || head.get(GENERATION) == null) {
            throw new NoSuchElementException("session '" + sessionId + "' holds no messages to summarize");
        }
        Object generation = head.get(GENERATION);
        Document id = id(sessionId, generation, summary.fromSequence(), summary.toSequence());
        Document newest = ctx.call(overall, deadline -> deadline.summaries()
                .find(new Document(SESSION_ID, sessionId).append(GENERATION, generation))
                .sort(Sorts.descending(TO)).limit(1).first());
        if (newest != null && id.equals(newest.get("_id"))) {
            return stored(sessionId, newest, overall);
        }
        Shared inherited = newest == null ? newestShared(HeadDocument.chain(head), overall) : null;
        if (inherited != null && inherited.doc.getLong(FROM) == summary.fromSequence()
                && inherited.doc.getLong(TO) == summary.toSequence()) {
            Summary shared = decodeShared(inherited.segment, inherited.doc, overall);
            if (shared != null) {
                return shared; // the range a fork shares, summarized in its ancestor
            }
        }
        long newestEnd = newest != null ? newest.getLong(TO) : inherited != null ? inherited.doc.getLong(TO) : 0;
        try {
            Summary.checkRange(sessionId, summary, HeadDocument.longField(head, MESSAGE_COUNT), newestEnd);
        } catch (IllegalArgumentException e) {
            Document same = ctx.call(overall, deadline -> deadline.summaries()
                    .find(new Document("_id", id).append(SESSION_ID, sessionId)).first());
            if (same != null) {
                return stored(sessionId, same, overall);
            }
            for (Document segment : HeadDocument.chain(head)) {
                // a range a fork shares, summarized in its ancestor: that summary is the answer
                Document shared = ctx.call(overall, deadline -> deadline.summaries().find(sharedFilter(segment)
                        .append(FROM, summary.fromSequence()).append(TO, summary.toSequence())).first());
                Summary found = shared == null ? null : decodeShared(segment, shared, overall);
                if (found != null && found.toSequence() <= HeadDocument.longField(segment, HeadDocument.SEGMENT_TO)) {
                    return found;
                }
            }
            throw e;
        }
        if (lastMessageId != null || summary.toSequence() < HeadDocument.longField(head, MESSAGE_COUNT)) {
            Summary.checkEdge(sessionId, summary, lastMessageId, pages.read(summary.toSequence() - 1, 2));
        }
        Document doc = new Document("_id", id)
                .append(SESSION_ID, sessionId)
                .append(GENERATION, generation)
                .append(FROM, summary.fromSequence())
                .append(TO, summary.toSequence())
                .append(TOKENS, summary.tokenCount())
                .append(SUMMARY, content(sessionId, head, summary, overall))
                .append(CREATED_AT, Date.from(ctx.time.now()));
        boolean inserted = ctx.call(overall, deadline -> {
            try {
                deadline.summaries().insertOne(doc);
                return true;
            } catch (RuntimeException e) {
                if (MongoFailure.of(e) == MongoFailure.DUPLICATE_KEY) {
                    return false; // stored by another writer, or by an attempt whose reply was lost
                }
                throw e;
            }
        });
        if (inserted) {
            // an erasure that ran between the head read and the insert has already deleted the
            // life's summaries: the insert would outlive it, so it is taken back
            Document after = ctx.call(overall, deadline -> deadline.heads().find(new Document(SESSION_ID, sessionId))
                    .projection(Projections.include(GENERATION, ERASED_AT)).first());
            if (after == null || after.get(ERASED_AT) != null || !generation.equals(after.get(GENERATION))) {
                ctx.call(overall, deadline -> deadline.summaries()
                        .deleteOne(new Document("_id", id).append(SESSION_ID, sessionId)).getDeletedCount());
                throw new NoSuchElementException("session '" + sessionId + "' was deleted while its summary was written:"
                        + " nothing is stored");
            }
            return summary;
        }
        Document stored = ctx.call(overall, deadline -> deadline.summaries()
                .find(new Document("_id", id).append(SESSION_ID, sessionId)).first());
        return stored == null ? summary : stored(sessionId, stored, overall);
    }

    List<Summary> read(String sessionId) {
        return read(sessionId, 0);
    }

    /**
     * The summaries of the session's current life: all of them ordered by range ({@code newest}
     * 0), or the {@code newest} ending last, newest first (a range read of the index
     * {@code sessionId, generation, to}, whatever the number of summaries).
     */
    List<Summary> read(String sessionId, int newest) {
        return ctx.call("summaries", sessionId, "read the summaries of session '" + sessionId + "'", deadline -> {
            Document head = deadline.heads().find(new Document(SESSION_ID, sessionId))
                    .projection(Projections.include(GENERATION, ERASED_AT, HeadDocument.FORK)).first();
            if (head == null || head.get(ERASED_AT) != null || head.get(GENERATION) == null) {
                return List.<Summary>of();
            }
            List<Summary> out = new ArrayList<>();
            com.mongodb.client.FindIterable<Document> found = deadline.summaries().find(new Document(SESSION_ID, sessionId)
                    .append(GENERATION, head.get(GENERATION)));
            found = newest == 0 ? found.sort(Sorts.ascending(FROM, TO)) : found.sort(Sorts.descending(TO)).limit(newest);
            for (Document doc : found) {
                Summary summary = decode(sessionId, doc, deadline);
                if (summary == null) {
                    return List.<Summary>of(); // the conversation was deleted under the read: its key is gone
                }
                out.add(summary);
            }
            List<Document> chain = HeadDocument.chain(head);
            if (!chain.isEmpty() && (newest == 0 || out.size() < newest)) {
                // a fork: the summaries of what it shares, from the nearest ancestor back
                for (int i = chain.size() - 1; i >= 0 && (newest == 0 || out.size() < newest); i--) {
                    Document segment = chain.get(i);
                    com.mongodb.client.FindIterable<Document> shared = deadline.summaries().find(sharedFilter(segment))
                            .sort(Sorts.descending(TO));
                    if (newest > 0) {
                        shared = shared.limit(newest - out.size());
                    }
                    for (Document doc : shared) {
                        Summary summary = decodeShared(segment, doc, deadline);
                        if (summary != null && !out.contains(summary)) {
                            out.add(summary);
                        }
                    }
                }
                Comparator<Summary> order = newest == 0
                        ? Comparator.comparingLong(Summary::fromSequence).thenComparingLong(Summary::toSequence)
                        : InMemoryConversationStore.SUMMARY_ORDER.reversed();
                out.sort(order);
                if (newest > 0 && out.size() > newest) {
                    return List.copyOf(out.subList(0, newest));
                }
            }
            return List.copyOf(out);
        });
    }

    /** A summary of a fork's ancestor, with the segment of the fork's chain it belongs to. */
    private record Shared(Document segment, Document doc) {}

    /** The newest summary a fork shares with its ancestors, nearest first: one query per segment until one is found. */
    private Shared newestShared(List<Document> chain, MongoContext.Deadline overall) {
        for (int i = chain.size() - 1; i >= 0; i--) {
            Document segment = chain.get(i);
            Document found = ctx.call(overall, deadline -> deadline.summaries().find(sharedFilter(segment))
                    .sort(Sorts.descending(TO)).limit(1).first());
            if (found != null) {
                return new Shared(segment, found);
            }
        }
        return null;
    }

    /** The summaries of a segment's life that end within the segment: they summarize only what the fork shares. */
    private static Document sharedFilter(Document segment) {
        return new Document(SESSION_ID, segment.getString(HeadDocument.FORK_SESSION))
                .append(GENERATION, segment.get(HeadDocument.FORK_GENERATION))
                .append(TO, new Document("$lte", HeadDocument.longField(segment, HeadDocument.SEGMENT_TO)));
    }

    private Summary decodeShared(Document segment, Document doc, MongoContext.Deadline deadline) {
        Document content = ctx.keys.openShared(segment, doc.get(SUMMARY, Document.class), deadline);
        if (content == null) {
            return null;
        }
        return new Summary(doc.getLong(FROM), doc.getLong(TO), MessageCodec.decode(content), doc.getInteger(TOKENS));
    }

    private static Document id(String sessionId, Object generation, long from, long to) {
        return new Document("s", sessionId).append("g", generation).append("f", from).append("t", to);
    }

    /**
     * The summary's content as stored: in clear without encryption, else sealed with the
     * conversation's data key, the one the head holds (given to it first if it has none).
     */
    private Document content(String sessionId, Document head, Summary summary, MongoContext.Deadline deadline) {
        Document plain = ctx.codec.encode(summary.message());
        if (!ctx.keys.enabled()) {
            return plain;
        }
        MongoDataKeys.Sealed sealed = ctx.keys.seal(sessionId, List.of(plain), deadline);
        Document keyed = head;
        if (head.get(MongoDataKeys.KEY_ID) == null) {
            // a conversation from before encryption was turned on: it gets its key now, as at its
            // next append (this write's, or a concurrent writer's: the head read again tells)
            ctx.keys.settle(head, sealed, deadline);
            keyed = ctx.call(deadline, d -> d.heads().find(new Document(SESSION_ID, sessionId)
                    .append(GENERATION, head.get(GENERATION)))
                    .projection(Projections.include(GENERATION, MongoDataKeys.KEY_ID, MongoDataKeys.DATA_KEY)).first());
            if (keyed == null || keyed.get(MongoDataKeys.KEY_ID) == null) {
                throw new NoSuchElementException("session '" + sessionId + "' was deleted while its summary was written");
            }
        }
        // a key cached from an earlier life of the session (deleted and begun again by another
        // process) is not this life's: sealed with it, no other process could open the summary
        ctx.keys.settle(keyed, sealed, deadline);
        return sealed.documents().get(0);
    }

    /** A summary found stored by a write, opened. */
    private Summary stored(String sessionId, Document doc, MongoContext.Deadline deadline) {
        Summary summary = decode(sessionId, doc, deadline);
        if (summary == null) {
            throw new NoSuchElementException("session '" + sessionId + "' was deleted while its summary was written");
        }
        return summary;
    }

    /** A stored summary, opened; null if it is sealed under a key destroyed with its conversation. */
    private Summary decode(String sessionId, Document doc, MongoContext.Deadline deadline) {
        Document content = ctx.keys.open(sessionId, doc.get(SUMMARY, Document.class), deadline);
        if (content == null) {
            return null;
        }
        return new Summary(doc.getLong(FROM), doc.getLong(TO), MessageCodec.decode(content), doc.getInteger(TOKENS));
    }
}
