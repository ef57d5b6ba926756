package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.BYTES;
import static io.github.conversationstore.HeadDocument.CHUNK_FIRST_SEQ;
import static io.github.conversationstore.HeadDocument.END_SEQ;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.longField;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bson.Document;

/**
 * The archive chunks of ancestors' lives that this process's fork reads fetched, kept (as stored:
 * sealed when encryption is on) up to a bound of bytes, least recently used first out. What a fork
 * shares with its ancestors never changes while the fork exists: the chunks below its segment's end
 * are immutable (an erasure only deletes or cuts what lies beyond every fork's reference), and a
 * read reaches them only through a live fork's head, read first, whose chain names them. So a
 * cached chunk can only serve a read that the archive would answer with the same messages.
 *
 * <p>An erasure of a life by this process forgets its chunks at once; chunks of a life erased by
 * another process stay in memory (never readable through the store, no fork naming them) until
 * they are evicted. Thread-safe.
 */
final class SharedChunks {
    private final long maxBytes;
    private long bytes;
    /** Every chunk by (session, generation, first sequence), least recently used first. */
    private final LinkedHashMap<List<Object>, Document> lru = new LinkedHashMap<>(64, 0.75f, true);
    /** The same chunks by life, ordered by their first sequence number. */
    private final Map<List<Object>, TreeMap<Long, Document>> byLife = new HashMap<>();

    SharedChunks(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The cached chunks of the life that cover {@code start .. until - 1} without a gap, in order; null if any is missing. */
    synchronized List<Document> covering(String sessionId, Object generation, long start, long until) {
        TreeMap<Long, Document> chunks = byLife.get(List.of(sessionId, generation));
        if (chunks == null || maxBytes == 0) {
            return null;
        }
        List<Document> out = new ArrayList<>();
        long pos = start;
        while (pos < until) {
            Map.Entry<Long, Document> entry = chunks.floorEntry(pos);
            if (entry == null || longField(entry.getValue(), END_SEQ) <= pos) {
                return null;
            }
            out.add(entry.getValue());
            lru.get(List.of(sessionId, generation, entry.getKey())); // touched: most recently used
            pos = longField(entry.getValue(), END_SEQ);
        }
        return out;
    }

    synchronized void put(Document chunk) {
        long size = Math.max(1, longField(chunk, BYTES));
        if (size > maxBytes) {
            return;
        }
        String sessionId = chunk.getString(SESSION_ID);
        Object generation = chunk.get(GENERATION);
        long first = longField(chunk.get("_id", Document.class), CHUNK_FIRST_SEQ);
        List<Object> key = List.of(sessionId, generation, first);
        Document previous = lru.put(key, chunk);
        if (previous != null) {
            bytes -= Math.max(1, longField(previous, BYTES));
        }
        byLife.computeIfAbsent(List.of(sessionId, generation), k -> new TreeMap<>()).put(first, chunk);
        bytes += size;
        for (Iterator<Map.Entry<List<Object>, Document>> it = lru.entrySet().iterator(); bytes > maxBytes && it.hasNext(); ) {
            Map.Entry<List<Object>, Document> eldest = it.next();
            it.remove();
            bytes -= Math.max(1, longField(eldest.getValue(), BYTES));
            List<Object> life = List.of(eldest.getKey().get(0), eldest.getKey().get(1));
            TreeMap<Long, Document> chunks = byLife.get(life);
            if (chunks != null) {
                chunks.remove((Long) eldest.getKey().get(2));
                if (chunks.isEmpty()) {
                    byLife.remove(life);
                }
            }
        }
    }

    /** Forgets every chunk of a life (its erasure by this process). */
    synchronized void forget(String sessionId, Object generation) {
        TreeMap<Long, Document> chunks = byLife.remove(List.of(sessionId, generation));
        if (chunks != null) {
            for (Map.Entry<Long, Document> e : chunks.entrySet()) {
                lru.remove(List.of(sessionId, generation, e.getKey()));
                bytes -= Math.max(1, longField(e.getValue(), BYTES));
            }
        }
    }
}
