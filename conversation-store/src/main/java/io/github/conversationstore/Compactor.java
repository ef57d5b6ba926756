package io.github.conversationstore;

import io.github.conversationstore.spi.Summarizer;
import io.github.conversationstore.spi.SummaryRequest;
import io.github.conversationstore.spi.TokenCounter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Compaction in the turn service (see {@link Compaction}): the window a turn sends (the token
 * window) and the summary written after a turn. Only the turn holding the session's lease calls
 * {@link #compact}; the summary's id is derived from its range, so two processes that summarize the
 * same range (a lease lost in a pause) store one summary.
 */
final class Compactor {
    private static final int FIRST_PAGE = 32;

    private final ConversationStore store;
    private final Compaction policy;
    private final Summarizer summarizer;
    private final TokenCounter counter;
    private final CallRunner runner;
    private final Duration timeout;
    private final Consumer<String> hook;

    Compactor(TurnSettings settings, CallRunner runner) {
        this.store = settings.store();
        this.policy = settings.compaction();
        this.summarizer = policy.summarizer().orElseGet(() -> Summarizer.using(settings.provider()));
        this.counter = policy.tokenCounter();
        this.runner = runner;
        this.timeout = policy.timeout().orElse(settings.replyTimeout());
        this.hook = settings.hook();
    }

    Duration timeout() {
        return timeout;
    }

    /**
     * The window of a turn whose user message is at {@code userSequence}: the newest summary that
     * fits (as a system message at the summary's first sequence), then the messages before the user
     * message, all within the trigger budget.
     */
    List<StoredMessage> window(String sessionId, long userSequence) {
        ContextWindow window = store.contextWindow(sessionId, policy.triggerTokens(), counter);
        if (window.summary().filter(s -> s.toSequence() > userSequence).isPresent()) {
            return before(sessionId, userSequence);
        }
        List<StoredMessage> out = new ArrayList<>(window.messages().size() + 1);
        window.summary().filter(s -> s.toSequence() <= userSequence)
                .ifPresent(s -> out.add(new StoredMessage(s.fromSequence(), s.message())));
        for (StoredMessage m : window.storedMessages()) {
            if (m.sequence() < userSequence) {
                out.add(m);
            }
        }
        return List.copyOf(out);
    }

    /**
     * The window of a turn resumed after later turns were summarized past its user message: the
     * newest summary ending at or before the user message that fits, then the messages before the
     * user message (at most one range of them), within the trigger budget with the user message.
     */
    private List<StoredMessage> before(String sessionId, long userSequence) {
        long budget = policy.triggerTokens();
        Summary chosen = null;
        List<Summary> summaries = new ArrayList<>(store.summaries(sessionId));
        summaries.sort(InMemoryConversationStore.SUMMARY_ORDER.reversed());
        for (Summary s : summaries) {
            if (s.toSequence() <= userSequence && s.tokenCount() <= budget) {
                chosen = s;
                break;
            }
        }
        long floor = chosen == null ? 0 : chosen.toSequence();
        int n = (int) Math.min(userSequence - floor, Compaction.MAX_RANGE);
        List<StoredMessage> read = store.readMessages(sessionId, userSequence - n, n + 1);
        List<StoredMessage> earlier = read.stream().filter(m -> m.sequence() < userSequence).toList();
        long left = budget - (chosen == null ? 0 : chosen.tokenCount()) - tokens(read.subList(earlier.size(), read.size()), 0);
        List<StoredMessage> out = new ArrayList<>();
        if (chosen != null) {
            out.add(new StoredMessage(chosen.fromSequence(), chosen.message()));
        }
        ContextWindows.pick(earlier, floor, left, counter).forEach(c -> out.add(c.message()));
        return List.copyOf(out);
    }

    /**
     * Summarizes the oldest unsummarized messages if the newest summary and the messages after it
     * exceed the trigger budget.
     *
     * @return the summary stored (or found stored for that range), or empty if none was due
     * @throws RuntimeException if the summarizer failed, timed out, or gave an empty or oversized
     *     summary, or the store refused or failed: nothing was stored, the next turn tries again
     */
    Optional<Summary> compact(String sessionId, String language, CallRunner.BeforeAttempt cover) {
        Summary newest = StoreGate.newest(store, sessionId, 1).stream().findFirst().orElse(null);
        long floor = newest == null ? 0 : newest.toSequence();
        long budget = policy.triggerTokens() - (newest == null ? 0L : newest.tokenCount());
        List<StoredMessage> tail;
        boolean whole;
        for (int limit = FIRST_PAGE; ; limit = Math.min(Compaction.MAX_RANGE, limit * 2)) {
            tail = store.recentMessages(sessionId, limit);
            whole = tail.size() < limit || !tail.isEmpty() && tail.get(0).sequence() <= floor;
            if (whole || limit == Compaction.MAX_RANGE || tokens(tail, floor) > budget) {
                break;
            }
        }
        List<StoredMessage> after = tail.stream().filter(m -> m.sequence() >= floor).toList();
        if (after.isEmpty() || whole && tokens(after, floor) <= budget) {
            return Optional.empty();
        }
        if (!whole && tokens(after, floor) <= budget && !passesBudget(sessionId, floor, after.get(0).sequence(),
                tokens(after, floor), budget)) {
            return Optional.empty(); // more messages than one read, but not more tokens than the trigger
        }
        long end = Math.min(cut(after), floor + Compaction.MAX_RANGE);
        // one message more than the range, to see whether its end would split a tool exchange
        int n = (int) (end - floor);
        List<StoredMessage> read = store.readMessages(sessionId, floor, n + 1);
        List<StoredMessage> range = new ArrayList<>(read.subList(0, Math.min(n, read.size())));
        if (read.size() > n && read.get(n).role() == Role.TOOL) {
            while (!range.isEmpty() && range.get(range.size() - 1).role() == Role.TOOL) {
                range.remove(range.size() - 1);
            }
            if (!range.isEmpty()) {
                range.remove(range.size() - 1); // the call whose results lie beyond the range
            }
        }
        if (range.isEmpty()) {
            return Optional.empty(); // one tool exchange longer than a range: left to the window
        }
        SummaryRequest request = new SummaryRequest(sessionId, language, newest, range, policy.summaryTokens());
        CallRunner.Outcome<Message> made = runner.call(
                new CallRunner.Policy("summarizer", 1, timeout, "no summary within " + timeout), null,
                attempt -> () -> summarizer.summarize(request),
                failure -> new CallRunner.Failure(failure, false, String.valueOf(failure.getMessage())), cover, new int[1]);
        String what = "the summary of [" + request.fromSequence() + ", " + request.toSequence() + ") of session '"
                + sessionId + "'";
        if (!made.succeeded()) {
            throw new IllegalStateException(what + " was not written: " + made.failure().reason(), made.failure().cause());
        }
        Message message = made.value();
        if (message == null || message.text().isBlank()) {
            throw new IllegalStateException(what + " was not written: the summarizer returned nothing");
        }
        int size = counter.count(message);
        if (size > policy.summaryTokens()) {
            throw new IllegalStateException(what + " was not stored: it takes " + size + " tokens, more than summaryTokens ("
                    + policy.summaryTokens() + ")");
        }
        hook.accept(TurnService.STEP_SUMMARIZED);
        // the session may have been deleted (and begun again) while the summarizer ran: the range's
        // last message must still be the one summarized
        StoredMessage last = range.get(range.size() - 1);
        List<StoredMessage> now = store.readMessages(sessionId, last.sequence(), 1);
        if (now.isEmpty() || !now.get(0).message().id().equals(last.message().id())) {
            throw new IllegalStateException(what + " was not stored: the session changed (deleted?) while it was written");
        }
        Summary summary = new Summary(request.fromSequence(), request.toSequence(), message, size);
        // the library's stores check it again in the write itself: a deletion (and a new life)
        // between the read above and the write must not give the new life the erased one's summary
        return Optional.of(store instanceof StoreGate gate ? gate.writeSummary(sessionId, summary, last.message().id())
                : store.writeSummary(sessionId, summary));
    }

    /**
     * Whether the messages {@code [floor, stop)} and the {@code counted} tokens after them pass the
     * budget: read forward from the floor, in ranges of {@link Compaction#MAX_RANGE}, only until
     * they do.
     */
    private boolean passesBudget(String sessionId, long floor, long stop, long counted, long budget) {
        long total = counted;
        long pos = floor;
        while (pos < stop && total <= budget) {
            List<StoredMessage> page = store.readMessages(sessionId, pos, (int) Math.min(Compaction.MAX_RANGE, stop - pos));
            if (page.isEmpty()) {
                break;
            }
            total += tokens(page, floor);
            pos = page.get(page.size() - 1).sequence() + 1;
        }
        return total > budget;
    }

    /** Where the kept tail starts: the newest whole exchanges within keepTokens. */
    private long cut(List<StoredMessage> after) {
        int keepFrom = after.size();
        long kept = 0;
        while (keepFrom > 0) {
            int start = keepFrom - 1;
            while (start > 0 && after.get(start).role() == Role.TOOL) {
                start--;
            }
            long unit = tokens(after.subList(start, keepFrom), 0);
            if (kept + unit > policy.keepTokens()) {
                break;
            }
            kept += unit;
            keepFrom = start;
        }
        return keepFrom < after.size() ? after.get(keepFrom).sequence() : after.get(after.size() - 1).sequence() + 1;
    }

    private long tokens(List<StoredMessage> messages, long floor) {
        long total = 0;
        for (StoredMessage m : messages) {
            if (m.sequence() >= floor) {
                total += ContextWindows.count(counter, m);
            }
        }
        return total;
    }
}
