package io.github.conversationstore.adk;

import com.google.adk.events.Event;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.MetadataKeys;
import io.github.conversationstore.Owner;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The store's appends that the session service makes: a session's creation, an event, and the
 * {@code user:} and {@code app:} parts of a delta. Each is built, and so checked by the store's
 * rules, before the first write of a call.
 */
final class StoreWrites {
    /** Type of the unknown part that marks a session's creation (its first stored message). */
    static final String SESSION_PART = "adk_session";
    /** Type of the unknown part of a message in a state conversation. */
    static final String STATE_PART = "adk_state";

    private final String language;
    private final long maxEventBytes;
    private final long maxTextBytes;

    StoreWrites(String language, long maxEventBytes, long maxTextBytes) {
        this.language = language;
        this.maxEventBytes = maxEventBytes;
        this.maxTextBytes = maxTextBytes;
    }

    /**
     * The first message of a session, its mark: written only where nothing is (expected sequence 0),
     * with the session's part of the initial state and the creation time as its last update.
     */
    AppendRequest creation(String appName, String userId, String sessionId, StateCodec.Split split, Instant now) {
        AppendRequest.Builder builder = AppendRequest.builder(StoreKeys.session(appName, userId, sessionId), language)
                .owner(StoreKeys.owner(appName, userId))
                .expectedSequence(0)
                .headerAttribute(StateCodec.SESSION_MARK, "1")
                // the session's last update on the clock events are stamped with (this JVM's), not the store's
                .headerAttribute(StateCodec.LAST_UPDATE, Long.toString(now.toEpochMilli()))
                .messages(new Message(UUID.randomUUID().toString(), Role.SYSTEM,
                        List.of(new Part.Unknown(SESSION_PART, Map.of("appName", appName, "userId", userId,
                                "sessionId", sessionId))), now, Map.of(), Map.of()));
        split.session().forEach(builder::headerAttribute);
        return builder.build();
    }

    /**
     * An event's append: under an id derived from the event id, to the session only if it exists
     * (an append racing another instance's {@code deleteSession} is refused, never starts the
     * session anew), with the session's part of its delta and its timestamp as the last update.
     *
     * @throws IllegalArgumentException if the event breaks a bound or a rule of the store
     */
    AppendRequest event(String appName, String userId, String sessionId, Event event, StateCodec.Split split) {
        Message message = EventCodec.toMessage(event);
        long text = EventCodec.textBytes(message);
        if (text > maxTextBytes) {
            throw new IllegalArgumentException("event '" + event.id() + "' holds " + text
                    + " bytes of text (UTF-8), more than the bound of " + maxTextBytes + " (maxTextBytes)");
        }
        long bytes = EventCodec.estimateBytes(message);
        if (bytes > maxEventBytes) {
            throw new IllegalArgumentException("event '" + event.id() + "' takes about " + bytes
                    + " bytes as stored, more than the bound of " + maxEventBytes + " (maxEventBytes)");
        }
        AppendRequest.Builder builder = AppendRequest.builder(StoreKeys.session(appName, userId, sessionId), language)
                .appendId(eventAppendId(event.id()))
                .requireExisting()
                .owner(StoreKeys.owner(appName, userId))
                .messages(message)
                .headerAttribute(StateCodec.LAST_UPDATE, Long.toString(event.timestamp()));
        split.session().forEach(builder::headerAttribute);
        return builder.build();
    }

    static String eventAppendId(String eventId) {
        String id = "adk-event-" + eventId;
        return id.length() <= ConversationStore.MAX_ID_LENGTH ? id : "adk-event#" + StoreKeys.digest(eventId);
    }

    /** The appends of the {@code user:} and {@code app:} parts of a delta, applied once per {@code origin}. */
    List<AppendRequest> shared(String appName, String userId, StateCodec.Split split, String origin) {
        List<AppendRequest> requests = new ArrayList<>(2);
        if (!split.user().isEmpty()) {
            requests.add(state(StoreKeys.userState(appName, userId), StoreKeys.owner(appName, userId), split.user(), origin));
        }
        if (!split.app().isEmpty()) {
            requests.add(state(StoreKeys.appState(appName), null, split.app(), origin));
        }
        return requests;
    }

    private AppendRequest state(String storeId, Owner owner, Map<String, String> attributes, String origin) {
        String appendId = "adk-state-" + StoreKeys.digest(origin);
        AppendRequest.Builder request = AppendRequest.builder(storeId, language)
                .appendId(appendId)
                // a busy user's or app's state takes many appends: recognize a retry however many came since
                .dedupBeyondWindow(true)
                .messages(new Message(appendId, Role.SYSTEM, List.of(new Part.Unknown(STATE_PART, Map.of())),
                        Instant.now(), Map.of(), Map.of("delta", Map.copyOf(escapedKeys(attributes)))));
        if (owner != null) {
            request.owner(owner);
        }
        attributes.forEach(request::headerAttribute);
        return request.build();
    }

    private static Map<String, Object> escapedKeys(Map<String, String> attributes) {
        Map<String, Object> out = new LinkedHashMap<>();
        attributes.forEach((k, v) -> out.put(MetadataKeys.escape(k), v));
        return out;
    }
}
