package io.github.conversationstore.springai;

import io.github.conversationstore.Part;
import io.github.conversationstore.spi.TokenCounter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.ai.chat.messages.Message;

/**
 * The tool calls a chat memory holds until their results are added (Spring AI's user-controlled
 * tool loop adds the call and its result separately), per conversation. Guarded by the
 * conversation's lock in the memory; the map itself by its own monitor.
 */
final class HeldCalls {
    /** Most calls one conversation holds; past it the oldest is stored alone. */
    static final int MAX_PER_CONVERSATION = 64;
    /** How many conversations' held calls are kept. */
    static final int MAX_CONVERSATIONS = 16_384;

    /** An assistant message with tool calls and the results added so far. */
    static final class Held {
        final List<Message> objects = new ArrayList<>();
        final List<io.github.conversationstore.Message> mapped = new ArrayList<>();
        final Set<String> outstanding = new HashSet<>();
        final Thread thread = Thread.currentThread();

        Held(Message call, io.github.conversationstore.Message stored) {
            objects.add(call);
            mapped.add(stored);
            stored.toolCalls().forEach(c -> outstanding.add(c.callId()));
        }

        void add(Message result, io.github.conversationstore.Message stored) {
            objects.add(result);
            mapped.add(stored);
            stored.toolResults().forEach(r -> outstanding.remove(r.callId()));
        }
    }

    private final Map<String, List<Held>> conversations = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<Held>> eldest) {
            return size() > MAX_CONVERSATIONS;
        }
    };

    /** The conversation's held calls, oldest first: the live list (guarded by the conversation's lock). */
    List<Held> of(String conversationId) {
        synchronized (conversations) {
            return conversations.computeIfAbsent(conversationId, id -> new ArrayList<>());
        }
    }

    /** The held messages, for a read: calls and their results so far, oldest first. */
    List<Message> visible(String conversationId) {
        List<Held> held;
        synchronized (conversations) {
            held = conversations.get(conversationId);
        }
        if (held == null) {
            return List.of();
        }
        synchronized (held) {
            List<Message> out = new ArrayList<>();
            held.forEach(h -> out.addAll(h.objects));
            return out;
        }
    }

    /** The tokens of the held messages, as stored, by {@code counter}. */
    long tokens(String conversationId, TokenCounter counter) {
        List<Held> held;
        synchronized (conversations) {
            held = conversations.get(conversationId);
        }
        if (held == null) {
            return 0;
        }
        synchronized (held) {
            long tokens = 0;
            for (Held h : held) {
                for (io.github.conversationstore.Message m : h.mapped) {
                    tokens += counter.count(m);
                }
            }
            return tokens;
        }
    }

    void forget(String conversationId) {
        synchronized (conversations) {
            conversations.remove(conversationId);
        }
    }

    /** Whether this object is one of the held messages. */
    static boolean holds(List<Held> held, Message message) {
        for (Held h : held) {
            for (Message m : h.objects) {
                if (m == message) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The newest held call that waits for every result of this tool message. */
    static Held waitingFor(List<Held> held, io.github.conversationstore.Message results) {
        for (int i = held.size() - 1; i >= 0; i--) {
            Held h = held.get(i);
            if (!results.toolResults().isEmpty()
                    && results.toolResults().stream().allMatch(r -> h.outstanding.contains(r.callId()))) {
                return h;
            }
        }
        return null;
    }

    /** Whether everything from {@code from} on answers calls of {@code call}: its round is not over yet. */
    static boolean onlyResultsOf(io.github.conversationstore.Message call, List<io.github.conversationstore.Message> mapped,
            int from) {
        Set<String> ids = new HashSet<>();
        call.toolCalls().forEach(c -> ids.add(c.callId()));
        for (int j = from; j < mapped.size(); j++) {
            List<Part.ToolResult> results = mapped.get(j).toolResults();
            if (results.isEmpty() || results.stream().anyMatch(r -> !ids.contains(r.callId()))) {
                return false;
            }
        }
        return true;
    }

    /** Drops older held calls that wait under an id this call uses again: they can no longer be told apart. */
    static void replaceReused(List<Held> held, Held call) {
        held.removeIf(older -> !Collections.disjoint(older.outstanding, call.outstanding));
    }
}
