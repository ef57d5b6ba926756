package io.github.conversationstore.adk;

import com.google.adk.events.Event;
import com.google.adk.sessions.GetSessionConfig;
import com.google.adk.sessions.Session;
import com.google.adk.sessions.State;
import com.google.genai.types.Content;
import com.google.genai.types.Part;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.StoredMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;

/**
 * Reads sessions back as ADK's {@link Session}: the header first, then the events it accounts for,
 * so that the state and the events agree; with the last events asked for, extended back so that
 * every function response read comes with its call.
 */
final class SessionReader {
    /**
     * How many earlier events the first round trip reads when a function call is looked for; each
     * next one reads twice as many, up to {@link #MAX_BACK_PAGE}: a call thousands of events back
     * (or one never stored) takes a few round trips, not one per 64 events.
     */
    private static final int BACK_PAGE = 64;
    /** The most earlier events one round trip of the look-back reads. */
    private static final int MAX_BACK_PAGE = 2_048;

    private final ConversationStore store;

    SessionReader(ConversationStore store) {
        this.store = store;
    }

    /** An event with its sequence number in the session, and the ids of its function calls and responses. */
    private record Numbered(long sequence, Event event, List<String> callIds, List<String> answerIds) {
        Numbered(long sequence, Event event) {
            this(sequence, event, calls(event), answered(event));
        }

        boolean callsOrAnswers() {
            return !callIds.isEmpty() || !answerIds.isEmpty();
        }
    }

    /** The session as stored, or empty if the user has no session of that id. */
    Optional<Session> read(String appName, String userId, String sessionId, Optional<GetSessionConfig> config) {
        String storeId = StoreKeys.session(appName, userId, sessionId);
        Optional<ConversationHeader> found = store.findConversation(storeId);
        if (found.isEmpty() || !found.get().attributes().containsKey(StateCodec.SESSION_MARK)) {
            return Optional.empty();
        }
        ConversationHeader header = found.get();
        long end = header.messageCount();
        Optional<Integer> recent = config.flatMap(GetSessionConfig::numRecentEvents);
        long from = recent.map(n -> Math.max(1, end - n)).orElse(1L);
        List<Numbered> read = events(storeId, from, end);
        Optional<Instant> after = config.flatMap(GetSessionConfig::afterTimestamp);
        List<Numbered> kept = new ArrayList<>(read);
        after.ifPresent(threshold -> kept.removeIf(e -> Instant.ofEpochMilli(e.event().timestamp()).isBefore(threshold)));
        List<Event> events = new ArrayList<>(kept.size());
        withTheirCalls(storeId, read, from, kept).forEach(e -> events.add(e.event()));
        return Optional.of(session(appName, userId, sessionId, header, sharedState(appName, userId), events));
    }

    /** The events stored at sequence numbers {@code [from, end)}, in order. */
    private List<Numbered> events(String storeId, long from, long end) {
        List<Numbered> events = new ArrayList<>();
        forEachStored(store, storeId, from, end, stored -> {
            if (EventCodec.isEvent(stored)) {
                events.add(new Numbered(stored.sequence(), EventCodec.toEvent(stored.message())));
            }
        });
        return events;
    }

    /** Hands {@code each} the messages stored at sequence numbers {@code [from, end)}, in order, a page at a time. */
    static void forEachStored(ConversationStore store, String storeId, long from, long end, Consumer<StoredMessage> each) {
        for (long next = from; next < end; ) {
            int limit = (int) Math.min(ConversationStore.MAX_READ_LIMIT, end - next);
            List<StoredMessage> page = store.readMessages(storeId, next, limit);
            for (StoredMessage stored : page) {
                if (stored.sequence() < end) {
                    each.accept(stored);
                }
            }
            if (page.size() < limit) {
                return;
            }
            next = page.get(page.size() - 1).sequence() + 1;
        }
    }

    /**
     * {@code kept} with the event holding the call of each function response in it that lacks its
     * call, looked for among the events {@code read} (from {@code from}) and then further back:
     * ADK pairs a response with its call by id when it builds a model request, and a response
     * without its call breaks that request. A call event brought in also brings the responses of
     * its other calls read on the way (a model turn's calls are answered together: a turn with a
     * call left unanswered is refused too), which may in turn need their calls.
     */
    private List<Numbered> withTheirCalls(String storeId, List<Numbered> read, long from, List<Numbered> kept) {
        Map<Long, Numbered> out = new TreeMap<>();
        kept.forEach(e -> out.put(e.sequence(), e));
        Set<String> missing = missing(out);
        if (missing.isEmpty()) {
            return kept;
        }
        List<Numbered> seen = new ArrayList<>(read); // the events read and not kept that call or answer, oldest first
        seen.removeIf(e -> out.containsKey(e.sequence()) || !e.callsOrAnswers());
        long before = from;
        int page = BACK_PAGE;
        while (true) {
            for (int i = seen.size() - 1; i >= 0 && !missing.isEmpty(); i--) {
                Numbered earlier = seen.get(i);
                if (!out.containsKey(earlier.sequence()) && earlier.callIds().stream().anyMatch(missing::contains)) {
                    out.put(earlier.sequence(), earlier);
                    missing.removeAll(earlier.callIds());
                    answer(earlier, seen, out);
                }
            }
            Set<String> now = missing(out);
            if (now.isEmpty()) {
                break;
            }
            boolean newCalls = !missing.containsAll(now);
            missing = now;
            if (newCalls) {
                continue; // responses brought in answer calls not looked for yet: look in what was read first
            }
            if (before <= 1) {
                break; // a call never stored (ADK's own services keep such a response too)
            }
            long start = Math.max(1, before - page);
            page = Math.min(2 * page, MAX_BACK_PAGE);
            List<Numbered> earlier = events(storeId, start, before);
            earlier.removeIf(e -> !e.callsOrAnswers()); // only those can be brought in: the others are not kept
            seen.addAll(0, earlier);
            before = start;
        }
        return new ArrayList<>(out.values());
    }

    /** The calls answered in {@code out} whose call is not in it. */
    private static Set<String> missing(Map<Long, Numbered> out) {
        Set<String> missing = new HashSet<>();
        out.values().forEach(e -> missing.addAll(e.answerIds()));
        out.values().forEach(e -> missing.removeAll(e.callIds()));
        return missing;
    }

    /** Adds to {@code out} the events of {@code seen} after {@code call} that answer its calls unanswered in it. */
    private static void answer(Numbered call, List<Numbered> seen, Map<Long, Numbered> out) {
        Set<String> open = new HashSet<>(call.callIds());
        out.values().forEach(e -> open.removeAll(e.answerIds()));
        for (Numbered later : seen) {
            if (open.isEmpty()) {
                return;
            }
            if (later.sequence() > call.sequence() && later.answerIds().stream().anyMatch(open::contains)) {
                out.put(later.sequence(), later);
                open.removeAll(later.answerIds());
            }
        }
    }

    private static List<String> answered(Event event) {
        List<String> ids = new ArrayList<>();
        parts(event).forEach(p -> p.functionResponse().flatMap(r -> r.id()).ifPresent(ids::add));
        return ids;
    }

    private static List<String> calls(Event event) {
        List<String> ids = new ArrayList<>();
        parts(event).forEach(p -> p.functionCall().flatMap(c -> c.id()).ifPresent(ids::add));
        return ids;
    }

    private static List<Part> parts(Event event) {
        return event.content().flatMap(Content::parts).orElse(List.of());
    }

    /** A session object for a header, with the shared state and the events given. */
    static Session session(String appName, String userId, String sessionId, ConversationHeader header,
            Map<String, Object> shared, List<Event> events) {
        ConcurrentMap<String, Object> state = new ConcurrentHashMap<>();
        StateCodec.decode(header.attributes(), "", state);
        state.putAll(shared);
        String last = header.attributes().get(StateCodec.LAST_UPDATE);
        Instant updated = last == null ? header.updatedAt() : Instant.ofEpochMilli(Long.parseLong(last));
        return Session.builder(sessionId).appName(appName).userId(userId).state(state).events(events)
                .lastUpdateTime(updated).build();
    }

    /** The app's and the user's state, with their prefixes. */
    Map<String, Object> sharedState(String appName, String userId) {
        Map<String, Object> state = new LinkedHashMap<>();
        store.findConversation(StoreKeys.appState(appName))
                .ifPresent(h -> StateCodec.decode(h.attributes(), State.APP_PREFIX, state));
        store.findConversation(StoreKeys.userState(appName, userId))
                .ifPresent(h -> StateCodec.decode(h.attributes(), State.USER_PREFIX, state));
        return state;
    }
}
