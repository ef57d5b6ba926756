package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.CHUNK_FIRST_SEQ;
import static io.github.conversationstore.HeadDocument.CREATED_AT;
import static io.github.conversationstore.HeadDocument.END_SEQ;
import static io.github.conversationstore.HeadDocument.ERASED_AT;
import static io.github.conversationstore.HeadDocument.FORK;
import static io.github.conversationstore.HeadDocument.FORK_CHAIN;
import static io.github.conversationstore.HeadDocument.FORK_GENERATION;
import static io.github.conversationstore.HeadDocument.FORK_SESSION;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.longField;
import static io.github.conversationstore.MongoForks.CHILD;
import static io.github.conversationstore.MongoForks.LEFTOVER_GRACE_MILLIS;
import static io.github.conversationstore.MongoForks.TO;

import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import io.github.conversationstore.MongoContext.Deadline;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * The erasure rule of forks in the Mongo store: a dead life (its head deleted, or of an older
 * generation) keeps exactly the archive chunks and summaries its descendants still read, below the
 * largest {@code to} of its references in {@code <heads>_forks}, and loses the rest; when its last
 * reference goes, everything of it goes. Also takes references back: a deleted fork's, and those
 * of a fork call that did not make its fork (each call writes its own). See {@link MongoForks} for
 * the references.
 */
final class MongoForkErasure {
    private final MongoContext ctx;
    private final MongoSharedReads sharedReads;

    MongoForkErasure(MongoContext ctx, MongoForks forks, MongoSharedReads sharedReads) {
        this.ctx = ctx;
        this.sharedReads = sharedReads;
        forks.useErasure(this);
    }

    /**
     * For a dead life {@code generation} of {@code sessionId} (its head deleted, or of another
     * generation): keeps the chunks and summaries its descendants read (below the largest
     * {@code to} of its references) and deletes the rest, the part of a chunk beyond it included.
     * With no reference left, deletes them all. Returns how many documents it deleted.
     */
    long trimDeadLife(String sessionId, Object generation, Deadline deadline) {
        sharedReads.forget(sessionId, generation);
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
     * descendant no longer reads it (its head removed by the retention TTL index, a fork that
     * died between its references and its head, or an erased fork whose deletion was interrupted
     * before its release), if older than {@value #LEFTOVER_GRACE_MILLIS} ms
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
                    .projection(Projections.include(SESSION_ID, FORK, ERASED_AT))
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

    /**
     * Whether {@code head} (null: none) is a live fork of the life. An erased fork reads nothing,
     * also while its release is unfinished (a deletion interrupted and not retried): its references
     * are leftovers too, which the release, if it is retried, would take back all the same.
     */
    private static boolean reads(Document head, String sessionId, Object generation) {
        if (head == null || head.get(ERASED_AT) != null) {
            return false;
        }
        if (!(head.get(FORK) instanceof Document fork)) {
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
        trimDeadLives(chain, overall);
    }

    /**
     * Each life named by {@code lives} (segments, or any document with a session and a generation
     * in the fork's fields) that is dead keeps only what its descendants' references still read.
     */
    void trimDeadLives(List<Document> lives, Deadline overall) {
        for (Document segment : lives) {
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

    /**
     * A fork this call did not make: takes back its own references (ids as written), then trims
     * the dead lives it named (an erasure may have kept a prefix for those references, or deleted
     * the parent's chunks before this call's copy step wrote one).
     */
    void abandon(List<Document> own, List<Document> lives, Deadline overall) {
        if (!own.isEmpty()) {
            dropOwn(own, overall);
        }
        trimDeadLives(lives, overall);
    }

    void dropOwn(List<Document> own, Deadline overall) {
        Set<String> ancestors = new LinkedHashSet<>();
        own.forEach(id -> ancestors.add(id.getString("s")));
        for (String ancestor : ancestors) {
            List<Document> ids = own.stream().filter(id -> ancestor.equals(id.getString("s"))).toList();
            ctx.call(overall, d -> d.forks().deleteMany(new Document(SESSION_ID, ancestor)
                    .append("_id", new Document("$in", ids))).getDeletedCount());
        }
    }

    /**
     * The fork is made, by this call: the references other calls left for it (an earlier call
     * whose reply was lost after its references, a call that lost the race and has not yet taken
     * its own back) go, so that one set of references remains. Those of a call still under way
     * are not needed: the fork is this call's, and such a call only ever takes back its own.
     */
    void dropOthers(String childId, ObjectId attempt, List<Document> own, Deadline overall) {
        Set<String> ancestors = new LinkedHashSet<>();
        own.forEach(id -> ancestors.add(id.getString("s")));
        for (String ancestor : ancestors) {
            ctx.call(overall, d -> d.forks().deleteMany(new Document(SESSION_ID, ancestor).append(CHILD, childId)
                    .append("_id.n", new Document("$ne", attempt))).getDeletedCount());
        }
    }

    /** Takes a deleted fork's references back, those of every call that made it. */
    void unreference(String childId, List<Document> chain, String parentId, Object parentGeneration,
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
}
