package io.github.conversationstore.koog;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Message objects known to be stored, by identity and weakly (a message the agent dropped is
 * forgotten with it), each with its session and sequence number.
 */
final class KnownMessages {
    private final ReferenceQueue<Object> queue = new ReferenceQueue<>();
    private final Map<Integer, List<Entry>> entries = new HashMap<>();

    private static final class Entry extends WeakReference<Object> {
        final int hash;
        final String sessionId;
        final long sequence;

        Entry(Object referent, ReferenceQueue<Object> queue, String sessionId, long sequence) {
            super(referent, queue);
            this.hash = System.identityHashCode(referent);
            this.sessionId = sessionId;
            this.sequence = sequence;
        }
    }

    synchronized void put(String sessionId, Object message, long sequence) {
        expunge();
        List<Entry> bucket = entries.computeIfAbsent(System.identityHashCode(message), h -> new ArrayList<>(1));
        bucket.removeIf(e -> e.get() == message && e.sessionId.equals(sessionId));
        bucket.add(new Entry(message, queue, sessionId, sequence));
    }

    synchronized Long sequence(String sessionId, Object message) {
        expunge();
        List<Entry> bucket = entries.get(System.identityHashCode(message));
        if (bucket != null) {
            for (Entry e : bucket) {
                if (e.get() == message && e.sessionId.equals(sessionId)) {
                    return e.sequence;
                }
            }
        }
        return null;
    }

    private void expunge() {
        for (Object ref; (ref = queue.poll()) != null; ) {
            Entry gone = (Entry) ref;
            List<Entry> bucket = entries.get(gone.hash);
            if (bucket != null) {
                for (Iterator<Entry> it = bucket.iterator(); it.hasNext(); ) {
                    if (it.next() == gone) {
                        it.remove();
                    }
                }
                if (bucket.isEmpty()) {
                    entries.remove(gone.hash);
                }
            }
        }
    }
}
