package io.github.conversationstore;

import io.github.conversationstore.spi.TokenCounter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Builds token windows from a store's summaries and tail: reads the summaries and the recent
 * messages only, in pages that double from 32 until the budget is spent or the summary (or the
 * start) is reached, so the cost follows the window's size, never the conversation's length.
 */
final class ContextWindows {
    private static final int FIRST_PAGE = 32;

    private ContextWindows() {}

    static ContextWindow build(ConversationStore store, String sessionId, int budget, TokenCounter counter) {
        if (budget <= 0) {
            throw new IllegalArgumentException("budget must be positive (tokens), got " + budget);
        }
        java.util.Objects.requireNonNull(counter, "counter");
        Summary chosen = null;
        List<Summary> summaries = new ArrayList<>(store.summaries(sessionId));
        summaries.sort(InMemoryConversationStore.SUMMARY_ORDER);
        for (int i = summaries.size() - 1; i >= 0; i--) {
            if (summaries.get(i).tokenCount() <= budget) {
                chosen = summaries.get(i);
                break;
            }
        }
        long floor = chosen == null ? 0 : chosen.toSequence();
        long left = budget - (chosen == null ? 0 : chosen.tokenCount());
        List<StoredMessage> tail = List.of();
        for (int limit = FIRST_PAGE; ; limit = Math.min(ConversationStore.MAX_READ_LIMIT, limit * 2)) {
            tail = store.recentMessages(sessionId, limit);
            boolean reachedFloor = tail.size() < limit || !tail.isEmpty() && tail.get(0).sequence() <= floor;
            if (reachedFloor || limit == ConversationStore.MAX_READ_LIMIT || tokens(tail, floor, counter) > left) {
                break;
            }
        }
        // newest first, a tool result's run together with the call before it, until the budget
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
                int t = counter.count(tail.get(i).message());
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
            out.add(new ContextWindow.Counted(m, counter.count(m.message())));
        }
        return new ContextWindow(chosen, out, budget);
    }

    private static long tokens(List<StoredMessage> tail, long floor, TokenCounter counter) {
        long total = 0;
        for (StoredMessage m : tail) {
            if (m.sequence() >= floor) {
                total += counter.count(m.message());
            }
        }
        return total;
    }
}
