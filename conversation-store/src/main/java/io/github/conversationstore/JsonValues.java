package io.github.conversationstore;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.bson.types.Binary;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

/**
 * Checks, normalizes and deeply copies the JSON-like values of message metadata: strings, numbers,
 * booleans, null, lists and maps with string keys. Normal forms, so that a value reads back equal
 * from MongoDB and from JSON: whole numbers become {@link Integer} when they fit, {@link Long}
 * otherwise; {@link Float} becomes {@link Double}; {@link BigDecimal} stays (stored as Decimal128).
 */
final class JsonValues {
    /** How deep lists and maps may nest inside a metadata map. */
    static final int MAX_DEPTH = 16;

    private JsonValues() {}

    /** Checks and copies a metadata map; {@code name} names it in errors. */
    static Map<String, Object> metadata(String name, Map<String, ?> metadata) {
        Objects.requireNonNull(metadata, name);
        return map(name, metadata, 1);
    }

    private static Map<String, Object> map(String path, Map<?, ?> map, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException(path + " nests maps and lists deeper than " + MAX_DEPTH + " levels");
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String)) {
                throw new IllegalArgumentException(path + " keys must be strings, found " + e.getKey());
            }
            String key = (String) e.getKey();
            Checks.attributeKey(path, key);
            copy.put(key, value(path + "." + key, e.getValue(), depth));
        }
        return Collections.unmodifiableMap(copy);
    }

    private static Object value(String path, Object value, int depth) {
        if (value instanceof String) {
            return Checks.wellFormed((String) value);
        }
        if (value == null || value instanceof Boolean) {
            return value;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).intValue();
        }
        if (value instanceof Long) {
            long l = (Long) value;
            if (l == (int) l) {
                return (int) l; // not a ?: expression, which would box both branches to Long
            }
            return l;
        }
        if (value instanceof BigInteger) {
            try {
                return value(path, ((BigInteger) value).longValueExact(), depth);
            } catch (ArithmeticException e) {
                return decimal(path, new BigDecimal((BigInteger) value));
            }
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new IllegalArgumentException(path + " must be a finite number (JSON has no " + d + "), was " + d);
            }
            return d;
        }
        if (value instanceof BigDecimal) {
            return decimal(path, (BigDecimal) value);
        }
        if (value instanceof Map) {
            return map(path, (Map<?, ?>) value, depth + 1);
        }
        if (value instanceof Collection) {
            if (depth + 1 > MAX_DEPTH) {
                throw new IllegalArgumentException(path + " nests maps and lists deeper than " + MAX_DEPTH + " levels");
            }
            List<Object> copy = new ArrayList<>();
            int i = 0;
            for (Object element : (Collection<?>) value) {
                copy.add(value(path + "[" + i++ + "]", element, depth + 1));
            }
            return Collections.unmodifiableList(copy);
        }
        throw new IllegalArgumentException(path + " must be a string, number, boolean, null, list or map (what JSON"
                + " can say), was a " + value.getClass().getName());
    }

    /** A decimal that MongoDB's Decimal128 holds exactly (34 significant digits, its exponent range). */
    private static BigDecimal decimal(String path, BigDecimal value) {
        try {
            new Decimal128(value);
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(path + " must fit a Decimal128 (at most 34 significant digits), was "
                    + value.precision() + " digits with scale " + value.scale(), e);
        }
    }

    /**
     * Turns a value read from BSON into a JSON-like one: sub-documents and arrays recursively,
     * Decimal128 into BigDecimal, and what JSON cannot say (ObjectId, dates, binary, ...) into text.
     */
    static Object fromBson(Object value) {
        if (value instanceof Map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            ((Map<?, ?>) value).forEach((k, v) -> copy.put(k.toString(), fromBson(v)));
            return copy;
        }
        if (value instanceof Collection) {
            List<Object> copy = new ArrayList<>();
            for (Object element : (Collection<?>) value) {
                copy.add(fromBson(element));
            }
            return copy;
        }
        if (value instanceof Decimal128) {
            return ((Decimal128) value).isFinite() ? ((Decimal128) value).bigDecimalValue() : value.toString();
        }
        if (value instanceof Double && (((Double) value).isNaN() || ((Double) value).isInfinite())) {
            return value.toString();
        }
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Number) {
            return value;
        }
        if (value instanceof Date) {
            return ((Date) value).toInstant().toString();
        }
        if (value instanceof ObjectId) {
            return ((ObjectId) value).toHexString();
        }
        if (value instanceof Binary) {
            return Base64.getEncoder().encodeToString(((Binary) value).getData());
        }
        return value.toString();
    }

    /** Turns a checked metadata value into what the driver stores: BigDecimal as Decimal128. */
    static Object toBson(Object value) {
        if (value instanceof BigDecimal) {
            return new Decimal128((BigDecimal) value);
        }
        if (value instanceof Map) {
            org.bson.Document doc = new org.bson.Document();
            ((Map<?, ?>) value).forEach((k, v) -> doc.append(k.toString(), toBson(v)));
            return doc;
        }
        if (value instanceof List) {
            List<Object> copy = new ArrayList<>();
            for (Object element : (List<?>) value) {
                copy.add(toBson(element));
            }
            return copy;
        }
        return value;
    }

    /**
     * A deep, unmodifiable copy of the fields of a part this version does not know: keys checked as
     * metadata keys, numbers and strings normalized as in metadata, other values (BSON types such
     * as dates, object ids or binary, from a newer version's part) kept as they are.
     */
    static Map<String, Object> unknownFields(Map<String, ?> fields) {
        return unknownMap("fields", fields);
    }

    private static Map<String, Object> unknownMap(String path, Map<?, ?> fields) {
        Map<String, Object> copy = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : fields.entrySet()) {
            String key = String.valueOf(Objects.requireNonNull(e.getKey(), path + " key"));
            Checks.attributeKey(path, key);
            copy.put(key, unknownValue(path + "." + key, e.getValue()));
        }
        return Collections.unmodifiableMap(copy);
    }

    private static Object unknownValue(String path, Object value) {
        if (value instanceof Map) {
            return unknownMap(path, (Map<?, ?>) value);
        }
        if (value instanceof Collection) {
            List<Object> copy = new ArrayList<>();
            int i = 0;
            for (Object element : (Collection<?>) value) {
                copy.add(unknownValue(path + "[" + i++ + "]", element));
            }
            return Collections.unmodifiableList(copy);
        }
        if (value instanceof Decimal128) {
            return ((Decimal128) value).isFinite() ? ((Decimal128) value).bigDecimalValue() : value;
        }
        boolean notFinite = (value instanceof Double || value instanceof Float)
                && !Double.isFinite(((Number) value).doubleValue());
        if (value instanceof String || (value instanceof Number && !notFinite)) {
            return value(path, value, 1);
        }
        return value;
    }
}
