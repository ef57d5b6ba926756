package io.github.conversationstore.langchain4j;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A map keyed by object identity that does not keep its keys alive: an entry goes when the
 * garbage collector clears its key. Thread-safe (every method is synchronized).
 */
final class WeakIdentityMap<K, V> {
    private final Map<Key<K>, V> entries = new HashMap<>();
    private final ReferenceQueue<K> cleared = new ReferenceQueue<>();

    private static final class Key<K> extends WeakReference<K> {
        private final int hash;

        Key(K referent, ReferenceQueue<K> queue) {
            super(referent, queue);
            this.hash = System.identityHashCode(referent);
        }

        @Override
        public boolean equals(Object o) {
            if (o == this) {
                return true;
            }
            if (!(o instanceof Key)) {
                return false;
            }
            Object referent = get();
            return referent != null && referent == ((Key<?>) o).get();
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    synchronized V get(K key) {
        expunge();
        return entries.get(new Key<>(key, null));
    }

    synchronized void put(K key, V value) {
        expunge();
        entries.put(new Key<>(key, cleared), value);
    }

    /** Calls {@code action} with every live key and its value; the action must not call back into the map. */
    synchronized void forEach(BiConsumer<K, V> action) {
        expunge();
        entries.forEach((k, v) -> {
            K key = k.get();
            if (key != null) {
                action.accept(key, v);
            }
        });
    }

    synchronized int size() {
        expunge();
        return entries.size();
    }

    private void expunge() {
        for (Object ref; (ref = cleared.poll()) != null; ) {
            entries.remove(ref);
        }
    }
}
