package io.github.conversationstore.adk;

import com.google.adk.events.Event;
import com.google.adk.sessions.Session;
import com.google.adk.sessions.State;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Applies a stored event to the {@link Session} object it was appended through, as ADK's in-memory
 * service does, in the store's order. An event found already stored (a retry after a lost reply)
 * that the object lacks goes before the events of the object stored after it, whose deltas and
 * timestamps stay the ones that count; the keys of its delta are taken as stored (events the object
 * does not hold may have set them since), as are the {@code user:} and {@code app:} keys of a
 * delta an earlier attempt wrote: the object agrees with a fresh read.
 */
final class SessionUpdates {
    private final ConversationStore store;

    SessionUpdates(ConversationStore store) {
        this.store = store;
    }

    /**
     * Applies {@code event}, stored in {@code storeId} as {@code result} says; the caller holds the
     * session's lock. {@code sharedRepeated} tells that its {@code user:}/{@code app:} part was found
     * written (by an earlier attempt), {@code stored} reads the session's state as stored.
     */
    void apply(Session session, String storeId, Event event, AppendResult result, boolean sharedRepeated,
            Supplier<Optional<Map<String, Object>>> stored) {
        boolean retried = result.duplicate();
        if (retried && contains(session.events(), event.id())) {
            return;
        }
        Set<String> storedAfter = retried ? idsFrom(storeId, result.firstSequence() + result.messageCount()) : Set.of();
        Map<String, Object> delta = event.actions() == null ? null : event.actions().stateDelta();
        boolean anyDelta = delta != null && !delta.isEmpty() && session.state() != null;
        // stored before now: events this object does not hold may have set its keys since; take them as stored
        Map<String, Object> asStored = anyDelta && (retried || sharedRepeated) ? stored.get().orElse(null) : null;
        // the events list is synchronized on itself (Session's builder makes it so): hold it while checking and adding
        synchronized (session.events()) {
            List<Event> events = session.events();
            int at = events.size();
            while (at > 0 && storedAfter.contains(events.get(at - 1).id())) {
                at--;
            }
            List<Event> later = List.copyOf(events.subList(at, events.size()));
            if (anyDelta) {
                // temp: keys too: never stored, but shared by the agents of this invocation through this object
                delta.forEach((key, value) -> {
                    boolean temp = key.startsWith(State.TEMP_PREFIX);
                    boolean shared = key.startsWith(State.USER_PREFIX) || key.startsWith(State.APP_PREFIX);
                    if (asStored != null && !temp && (retried || shared)) { // not retried: only user:/app: keys were written
                        value = asStored.containsKey(key) ? asStored.get(key) : State.REMOVED;
                    } else if (later.stream().anyMatch(e -> sets(e, key))) {
                        return; // an event stored after this one set it last
                    }
                    if (value == State.REMOVED) {
                        session.state().remove(key);
                    } else {
                        session.state().put(key, value);
                    }
                });
            }
            events.add(at, event);
            if (storedAfter.isEmpty()) { // the last event stored: its timestamp is the session's last update
                session.lastUpdateTime(Instant.ofEpochMilli(event.timestamp()));
            }
        }
    }

    private static boolean contains(List<Event> events, String id) {
        synchronized (events) {
            return events.stream().anyMatch(e -> id.equals(e.id()));
        }
    }

    private static boolean sets(Event event, String key) {
        return event.actions() != null && event.actions().stateDelta() != null
                && event.actions().stateDelta().containsKey(key);
    }

    /** The ids of the messages stored at {@code from} and after (an event's message has the event's id). */
    private Set<String> idsFrom(String storeId, long from) {
        Set<String> ids = new HashSet<>();
        SessionReader.forEachStored(store, storeId, from, Long.MAX_VALUE, m -> ids.add(m.message().id()));
        return ids;
    }
}
