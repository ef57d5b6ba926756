package io.github.conversationstore;

import io.github.conversationstore.spi.TokenCounter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Builds token windows from a store's summaries and tail: reads the summaries and the recent
 * messages only, in pages that double from 32 until the budget is spent or the summary (or the
 * start) is reached, so the cost follows the window's size, never the conversation's length.
 */
final class ContextWindows {
    private static final int FIRST_PAGE = 32;
    /** Windows read again when the newest summary changed under them, before one without a summary. */
    private static final int MAX_ATTEMPTS = 3;

    private ContextWindows() {}

    static ContextWindow build(ConversationStore store, String sessionId, int budget, TokenCounter counter) {
        if (budget <= 0) {
            throw new IllegalArgumentException("budget must be positive (tokens), got " + budget);
        }
        Objects.requireNonNull(counter, "counter");
        Summary chosen = null;
        List<StoredMessage> tail = List.of();
        for (int attempt = 1; ; attempt++) {
            // a summary is used only when it is still the newest that fits once the tail is read:
            // then the summary and the tail are of one life (a life never comes back), not an
            // erased life's summary beside a new life's messages
            chosen = attempt > MAX_ATTEMPTS ? null : newestThatFits(store, sessionId, budget);
            tail = tail(store, sessionId, chosen, budget, counter);
            if (chosen == null || same(chosen, newestThatFits(store, sessionId, budget))) {
                break;
            }
        }
        long floor = chosen == null ? 0 : chosen.toSequence();
        long left = budget - (chosen == null ? 0 : chosen.tokenCount());
        return new ContextWindow(chosen, pick(tail, floor, left, counter), budget);
    }

    /**
     * The newest messages of {@code tail} from {@code floor} on within {@code left} tokens, oldest
     * first: newest first, a tool result's run together with the call before it, then whole
     * exchanges only.
     */
    static List<ContextWindow.Counted> pick(List<StoredMessage> tail, long floor, long left, TokenCounter counter) {
        List<ContextWindow.Counted> picked = new ArrayList<>();
        int end = tail.size();
        while (end > 0) {
            int start = end - 1;
            while (start > 0 && tail.get(start).role() == Role.TOOL) {
                start--;
            }
            if (tail.get(start).sequence() < floor) {
                break;
            }
            List<ContextWindow.Counted> unit = new ArrayList<>();
            long unitTokens = 0;
            for (int i = start; i < end; i++) {
                int t = count(counter, tail.get(i));
                unit.add(new ContextWindow.Counted(tail.get(i), t));
                unitTokens += t;
            }
            if (unitTokens > left) {
                break;
            }
            left -= unitTokens;
            Collections.reverse(unit);
            picked.addAll(unit);
            end = start;
        }
        Collections.reverse(picked);
        // a unit at the edge may hold tool results whose call is not there: drop what is unpaired
        List<StoredMessage> whole = ToolPairs.keepWhole(picked.stream().map(ContextWindow.Counted::message).toList());
        List<ContextWindow.Counted> out = new ArrayList<>(whole.size());
        for (StoredMessage m : whole) {
            out.add(new ContextWindow.Counted(m, count(counter, m)));
        }
        return out;
    }

    /** The recent messages a window after {@code chosen} (or from the start) needs, in doubling pages. */
    private static List<StoredMessage> tail(ConversationStore store, String sessionId, Summary chosen, int budget,
            TokenCounter counter) {
        long floor = chosen == null ? 0 : chosen.toSequence();
        long left = budget - (chosen == null ? 0 : chosen.tokenCount());
        List<StoredMessage> tail;
        for (int limit = FIRST_PAGE; ; limit = Math.min(ConversationStore.MAX_READ_LIMIT, limit * 2)) {
            tail = store.recentMessages(sessionId, limit);
            boolean reachedFloor = tail.size() < limit || !tail.isEmpty() && tail.get(0).sequence() <= floor;
            if (reachedFloor || limit == ConversationStore.MAX_READ_LIMIT || tokens(tail, floor, counter) > left) {
                return tail;
            }
        }
    }

    /** A message's token count, checked: a counter that returns a negative count is refused, naming it. */
    static int count(TokenCounter counter, StoredMessage m) {
        int tokens = counter.count(m.message());
        if (tokens < 0) {
            throw new IllegalArgumentException("the token counter " + counter.getClass().getName() + " returned " + tokens
                    + " for the message at sequence " + m.sequence() + ": a token count must not be negative");
        }
        return tokens;
    }

    /** Whether two summaries are the same stored one (its range and its message's id). */
    private static boolean same(Summary a, Summary b) {
        return b != null && a.fromSequence() == b.fromSequence() && a.toSequence() == b.toSequence()
                && a.message().id().equals(b.message().id());
    }

    /**
     * The newest summary within the budget: the newest summaries in pages growing fourfold from
     * 4, so a window reads about as many as it passes over, never every summary of a long life.
     */
    private static Summary newestThatFits(ConversationStore store, String sessionId, int budget) {
        for (int limit = 4; ; limit = limit > Integer.MAX_VALUE / 4 ? Integer.MAX_VALUE : limit * 4) {
            List<Summary> newest = StoreGate.newest(store, sessionId, limit);
            for (Summary s : newest) {
                if (s.tokenCount() <= budget) {
                    return s;
                }
            }
            if (newest.size() < limit || limit == Integer.MAX_VALUE) {
                return null;
            }
        }
    }

    private static long tokens(List<StoredMessage> tail, long floor, TokenCounter counter) {
        long total = 0;
        for (StoredMessage m : tail) {
            if (m.sequence() >= floor) {
                total += count(counter, m);
            }
        }
        return total;
    }
}
