package io.github.conversationstore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Session ids by a key of the in-memory store (an owner, a parent session), each key's ids in the
 * order MongoDB gives strings, so that a listing reads its key's ids only and pages as the Mongo
 * store's does. Thread-safe.
 *
 * @param <K> the key
 */
final class InMemoryIndex<K> {
    /** MongoDB orders strings by their UTF-8 bytes: so does this. */
    static final Comparator<String> UTF8 =
            Comparator.comparing(id -> id.getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned);

    private static final NavigableSet<String> EMPTY = new ConcurrentSkipListSet<>(UTF8);

    private final ConcurrentHashMap<K, NavigableSet<String>> ids = new ConcurrentHashMap<>();

    void add(K key, String id) {
        ids.computeIfAbsent(key, k -> new ConcurrentSkipListSet<>(UTF8)).add(id);
    }

    void remove(K key, String id) {
        ids.getOrDefault(key, EMPTY).remove(id);
    }

    /**
     * Up to {@code limit} headers of the ids of {@code key} after {@code after} (null: from the
     * first), each as {@code header} finds it now and only if {@code belongs} still holds for it (an
     * id is removed after its session changed).
     */
    List<ConversationHeader> page(K key, String after, int limit, Function<String, Optional<ConversationHeader>> header,
            Predicate<ConversationHeader> belongs) {
        NavigableSet<String> all = ids.getOrDefault(key, EMPTY);
        List<ConversationHeader> page = new ArrayList<>(Math.min(limit, 1024));
        for (String id : after == null ? all : all.tailSet(after, false)) {
            header.apply(id).filter(belongs).ifPresent(page::add);
            if (page.size() == limit) {
                break;
            }
        }
        return List.copyOf(page);
    }
}
