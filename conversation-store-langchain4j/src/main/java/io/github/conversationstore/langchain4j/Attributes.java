package io.github.conversationstore.langchain4j;

import io.github.conversationstore.MetadataKeys;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * LangChain4j message attributes as store metadata and back. Values must be what JSON can say;
 * keys may be anything, escaped by the core's {@link MetadataKeys} rule ({@code .}, NUL, a leading
 * {@code $} and {@code %} written as {@code %XX}, the empty key as {@code %}).
 */
final class Attributes {
    private Attributes() {}

    static Map<String, Object> encode(String owner, Map<String, Object> attributes) {
        Map<String, Object> out = new LinkedHashMap<>();
        attributes.forEach((k, v) -> {
            checkAcyclic(owner, k, v, Collections.newSetFromMap(new IdentityHashMap<>()));
            out.put(escape(k), value(owner, k, v));
        });
        return out;
    }

    static Map<String, Object> decode(Map<String, Object> stored) {
        Map<String, Object> out = new LinkedHashMap<>();
        stored.forEach((k, v) -> out.put(unescape(k), decodedValue(v)));
        return out;
    }

    private static Object value(String owner, String key, Object value) {
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Integer
                || value instanceof Long || value instanceof Double || value instanceof Float
                || value instanceof Short || value instanceof Byte || value instanceof BigDecimal) {
            return value;
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String k)) {
                    throw notStorable(owner, key, e.getKey());
                }
                out.put(escape(k), value(owner, key, e.getValue()));
            }
            return out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (Object element : list) {
                out.add(value(owner, key, element));
            }
            return out;
        }
        throw notStorable(owner, key, value);
    }

    /** Refuses a value that contains itself (which would never end), naming the attribute. */
    private static void checkAcyclic(String owner, String key, Object value, Set<Object> path) {
        if (!(value instanceof Map || value instanceof List)) {
            return;
        }
        if (!path.add(value)) {
            throw new IllegalArgumentException("attribute '" + key + "' of a " + owner + " holds a cycle: a map or"
                    + " list that contains itself cannot be stored");
        }
        if (path.size() > 1_000) {
            throw new IllegalArgumentException("attribute '" + key + "' of a " + owner
                    + " nests maps and lists more than 1,000 levels deep");
        }
        for (Object element : value instanceof Map<?, ?> map ? map.values() : (List<?>) value) {
            checkAcyclic(owner, key, element, path);
        }
        path.remove(value);
    }

    private static IllegalArgumentException notStorable(String owner, String key, Object value) {
        return new IllegalArgumentException("attribute '" + key + "' of a " + owner + " holds a "
                + value.getClass().getName() + "; only strings, numbers, booleans, null, lists and maps with"
                + " string keys can be stored");
    }

    private static Object decodedValue(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(unescape((String) k), decodedValue(v)));
            return out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            list.forEach(v -> out.add(decodedValue(v)));
            return out;
        }
        return value;
    }

    /** {@link MetadataKeys#escape(String)}: one rule for both adapters. */
    static String escape(String key) {
        return MetadataKeys.escape(key);
    }

    /** {@link MetadataKeys#unescape(String)}, which also reads the {@code %24} this adapter once wrote for every {@code $}. */
    static String unescape(String key) {
        return MetadataKeys.unescape(key);
    }
}
