package io.github.conversationstore.springai;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Map;

/**
 * A map whose keys are compared by identity and held weakly: an entry goes when its key is no
 * longer reachable elsewhere. Spring AI's messages compare by content, so two equal messages
 * (two "yes" from the user) are told apart only by identity. Thread-safe (every method locks).
 */
final class WeakIdentityMap<K, V> {
    private final Map<Key<K>, V> entries = new HashMap<>();
    private final ReferenceQueue<K> cleared = new ReferenceQueue<>();

    synchronized V get(K key) {
        expunge();
        return entries.get(new Key<>(key, null));
    }

    synchronized void put(K key, V value) {
        expunge();
        entries.put(new Key<>(key, cleared), value);
    }

    synchronized int size() {
        expunge();
        return entries.size();
    }

    private void expunge() {
        for (Reference<? extends K> ref = cleared.poll(); ref != null; ref = cleared.poll()) {
            entries.remove(ref);
        }
    }

    private static final class Key<K> extends WeakReference<K> {
        private final int hash;

        Key(K referent, ReferenceQueue<? super K> queue) {
            super(referent, queue);
            hash = System.identityHashCode(referent);
        }

        @Override
        public boolean equals(Object other) {
            if (this == other) {
                return true;
            }
            if (!(other instanceof Key)) {
                return false;
            }
            Object referent = get();
            return referent != null && referent == ((Key<?>) other).get();
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
