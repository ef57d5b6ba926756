package io.github.conversationstore.langchain4j;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LangChain4j message attributes as store metadata and back. Values must be what JSON can say;
 * keys may be anything: the characters a MongoDB field name cannot hold ({@code .}, {@code $}, NUL)
 * and {@code %} are written as {@code %XX}, and the empty key as {@code %}.
 */
final class Attributes {
    private Attributes() {}

    static Map<String, Object> encode(String owner, Map<String, Object> attributes) {
        Map<String, Object> out = new LinkedHashMap<>();
        attributes.forEach((k, v) -> out.put(escape(k), value(owner, k, v)));
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

    static String escape(String key) {
        if (key.isEmpty()) {
            return "%";
        }
        StringBuilder out = new StringBuilder(key.length());
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '%' || c == '.' || c == '$' || c == '\0') {
                out.append('%').append(String.format(java.util.Locale.ROOT, "%02X", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    static String unescape(String key) {
        if (key.equals("%")) {
            return "";
        }
        if (key.indexOf('%') < 0) {
            return key;
        }
        StringBuilder out = new StringBuilder(key.length());
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '%' && i + 2 < key.length()) {
                out.append((char) Integer.parseInt(key.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
