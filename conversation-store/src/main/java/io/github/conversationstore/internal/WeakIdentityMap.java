package io.github.conversationstore.internal;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiPredicate;

/**
 * A map whose keys are compared by identity and held weakly: an entry goes when its key is no
 * longer reachable elsewhere. The frameworks' messages compare by content, so two equal messages
 * (two "yes" from the user) are told apart only by identity, and an entry must not keep a message
 * alive. Internal: may change without notice. Thread-safe (every method locks the map).
 *
 * @param <K> the keys, compared by identity
 * @param <V> the values
 * @since 0.2.0
 */
public final class WeakIdentityMap<K, V> {
    private final Map<Key<K>, V> entries = new HashMap<>();
    private final ReferenceQueue<K> cleared = new ReferenceQueue<>();

    /**
     * Creates an empty map.
     *
     * @since 0.2.0
     */
    public WeakIdentityMap() {}

    /**
     * Returns the value of this very object.
     *
     * @param key the key
     * @return its value, or null if it has none
     * @since 0.2.0
     */
    public synchronized V get(K key) {
        expunge();
        return entries.get(new Key<>(Objects.requireNonNull(key, "key"), null));
    }

    /**
     * Sets the value of this very object.
     *
     * @param key the key, held weakly
     * @param value its value, held strongly (it must not refer to the key, or the entry never goes)
     * @since 0.2.0
     */
    public synchronized void put(K key, V value) {
        expunge();
        entries.put(new Key<>(Objects.requireNonNull(key, "key"), cleared), value);
    }

    /**
     * Removes the entry of this very object.
     *
     * @param key the key
     * @return its value, or null if it had none
     * @since 0.2.0
     */
    public synchronized V remove(K key) {
        expunge();
        return entries.remove(new Key<>(Objects.requireNonNull(key, "key"), null));
    }

    /**
     * Removes every entry whose live key and value the predicate accepts; the predicate may change
     * the value but must not call back into the map.
     *
     * @param filter says which entries go
     * @since 0.2.0
     */
    public synchronized void removeIf(BiPredicate<? super K, ? super V> filter) {
        expunge();
        for (Iterator<Map.Entry<Key<K>, V>> it = entries.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Key<K>, V> entry = it.next();
            K key = entry.getKey().get();
            if (key == null || filter.test(key, entry.getValue())) {
                it.remove();
            }
        }
    }

    /**
     * Returns how many entries have a live key.
     *
     * @return the number of entries
     * @since 0.2.0
     */
    public synchronized int size() {
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
            if (!(other instanceof Key<?> key)) {
                return false;
            }
            Object referent = get();
            return referent != null && referent == key.get();
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
