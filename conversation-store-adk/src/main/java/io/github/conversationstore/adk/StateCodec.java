package io.github.conversationstore.adk;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.adk.JsonBaseModel;
import com.google.adk.sessions.State;
import io.github.conversationstore.MetadataKeys;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ADK state as store header attributes. Each state key is one attribute, {@code s:} followed by
 * the key (escaped by the core's {@link MetadataKeys} rule), whose value is {@code =} followed by
 * the value's JSON, or {@code -} for a key removed by a delta. A delta is merged key by key into the
 * header in the same atomic step as the append that carries it, so the header always equals the
 * deltas of the conversation's messages applied in their order.
 */
final class StateCodec {
    /** Header attribute that marks a conversation as an ADK session made by {@code createSession}. */
    static final String SESSION_MARK = "adk:session";
    /** Header attribute with the timestamp (epoch milliseconds) of the session's last event. */
    static final String LAST_UPDATE = "adk:lastUpdate";
    static final String KEY_PREFIX = "s:";
    static final String REMOVED = "-";
    static final String VALUE = "=";
    /** What ADK's own JSON mapper writes for {@link State#REMOVED}. */
    static final String REMOVED_JSON = "__ADK_SENTINEL_REMOVED__";

    private static final ObjectMapper MAPPER = JsonBaseModel.getMapper();

    private StateCodec() {}

    /** A delta split by scope, each as header attributes; {@code temp:} keys are left out. */
    record Split(Map<String, String> session, Map<String, String> user, Map<String, String> app) {
        boolean isEmpty() {
            return session.isEmpty() && user.isEmpty() && app.isEmpty();
        }
    }

    /**
     * Splits and encodes a delta, checking every key and value first.
     *
     * @param name what the delta is, for messages ({@code event.actions.stateDelta})
     * @param delta the delta; may be null
     * @throws IllegalArgumentException if a key is not a string, or a value cannot be written as JSON
     */
    static Split split(String name, Map<?, ?> delta) {
        Map<String, String> session = new LinkedHashMap<>();
        Map<String, String> user = new LinkedHashMap<>();
        Map<String, String> app = new LinkedHashMap<>();
        if (delta != null) {
            for (Map.Entry<?, ?> e : delta.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException(name + " keys must be strings, found "
                            + (e.getKey() == null ? "null" : "a " + e.getKey().getClass().getName()));
                }
                if (key.startsWith(State.TEMP_PREFIX)) {
                    continue; // never persisted, as ADK defines
                }
                String value = encode(name, key, e.getValue());
                if (key.startsWith(State.APP_PREFIX)) {
                    app.put(attribute(key.substring(State.APP_PREFIX.length())), value);
                } else if (key.startsWith(State.USER_PREFIX)) {
                    user.put(attribute(key.substring(State.USER_PREFIX.length())), value);
                } else {
                    session.put(attribute(key), value);
                }
            }
        }
        return new Split(session, user, app);
    }

    static String attribute(String key) {
        return KEY_PREFIX + MetadataKeys.escape(key);
    }

    static String encode(String name, String key, Object value) {
        if (value == null || value == State.REMOVED) {
            return REMOVED;
        }
        try {
            return VALUE + MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException | RuntimeException e) {
            throw new IllegalArgumentException(name + " value of '" + key + "' cannot be written as JSON ("
                    + value.getClass().getName() + "): " + e.getMessage(), e);
        }
    }

    /** The state held by a header's attributes, each key with {@code prefix} put before it. */
    static Map<String, Object> decode(Map<String, String> attributes, String prefix, Map<String, Object> into) {
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            if (!e.getKey().startsWith(KEY_PREFIX) || !e.getValue().startsWith(VALUE)) {
                continue;
            }
            String key = prefix + MetadataKeys.unescape(e.getKey().substring(KEY_PREFIX.length()));
            try {
                Object value = MAPPER.readValue(e.getValue().substring(VALUE.length()), Object.class);
                if (value != null) {
                    into.put(key, value);
                }
            } catch (JsonProcessingException ex) {
                throw new IllegalStateException("stored state of '" + key + "' is not JSON", ex);
            }
        }
        return into;
    }
}
