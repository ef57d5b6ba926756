package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.CHUNK_FIRST_SEQ;
import static io.github.conversationstore.HeadDocument.END_SEQ;
import static io.github.conversationstore.HeadDocument.FORK_GENERATION;
import static io.github.conversationstore.HeadDocument.FORK_SESSION;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.longField;
import static io.github.conversationstore.HeadDocument.messages;
import static io.github.conversationstore.MongoForks.TO;

import io.github.conversationstore.MongoContext.Deadline;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.bson.Document;

/**
 * Reads the shared messages of forks from their ancestors' archives, with a process-wide cache of
 * the chunks read (see {@link SharedChunks}): a fork's messages below its own range are always in
 * the ancestors' archive chunks (see {@link MongoForks}).
 */
final class MongoSharedReads {
    /** Shared chunks kept in memory per store, at most this many bytes (as the chunks count them). */
    static final long CACHE_BYTES = 16L * 1024 * 1024;

    private final MongoContext ctx;
    private final SharedChunks shared;

    /** {@code cacheBytes} 0 (a test seam and the benchmark's) reads every shared chunk from the archive. */
    MongoSharedReads(MongoContext ctx, long cacheBytes) {
        this.ctx = ctx;
        this.shared = new SharedChunks(cacheBytes);
    }

    /** Forgets what the cache holds of a life, whose chunks are being trimmed or deleted. */
    void forget(String sessionId, Object generation) {
        shared.forget(sessionId, generation);
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
}
