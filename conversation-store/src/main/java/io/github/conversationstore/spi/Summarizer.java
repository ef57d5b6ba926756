package io.github.conversationstore.spi;

import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Writes the summary of a range of a conversation, for compaction in the
 * {@link io.github.conversationstore.TurnService} (see {@link io.github.conversationstore.Compaction}).
 * It must be thread-safe. It may throw: the turn is not failed by it, and the range is summarized
 * again at a later turn.
 *
 * <p>{@link #using(ReplyProvider)} asks a reply provider, with {@link #PROMPT} as the user message.
 *
 * @since 0.3
 */
@FunctionalInterface
public interface Summarizer {

    /** The {@link ReplyRequest#mode()} of the requests {@link #using(ReplyProvider)} sends. */
    String MODE = "summary";

    /**
     * The instruction {@link #using(ReplyProvider)} sends after the messages to summarize;
     * {@code %d} is the largest size in words.
     */
    String PROMPT = "Summarize the conversation so far for your own later use, in at most %d words, in the"
            + " conversation's language. If it starts with an earlier summary, fold that summary in. Keep names,"
            + " facts, decisions, the user's goals and preferences, open questions, and what tools returned that"
            + " still matters; leave out greetings and repetition. Answer with the summary only.";

    /**
     * Summarizes the request's messages (built on its previous summary, if any).
     *
     * @param request the range to summarize
     * @return the summary's content, for example a system message with one text part; its size must
     *     not exceed {@link SummaryRequest#maxTokens()}, or it is not stored
     * @throws Exception if no summary could be written; the turn goes on without it
     */
    Message summarize(SummaryRequest request) throws Exception;

    /**
     * A summarizer that asks {@code provider}: the window holds the previous summary (a system
     * message) and the range's messages (whole tool exchanges only, see
     * {@link io.github.conversationstore.ToolPairs#keepWhole}), the user message is {@link #PROMPT} with a word count of
     * three quarters of the token limit, the mode is {@link #MODE} and the turn id names the range.
     * The reply's text becomes a system message carrying the reply's metadata (model, usage).
     *
     * @param provider the provider to ask
     * @return the summarizer
     * @throws NullPointerException if {@code provider} is null
     */
    static Summarizer using(ReplyProvider provider) {
        Objects.requireNonNull(provider, "provider");
        return request -> {
            List<StoredMessage> window = new ArrayList<>(request.messages().size() + 1);
            request.previousSummary().ifPresent(p -> window.add(new StoredMessage(p.fromSequence(), p.message())));
            // a tool call left without its result (a turn that failed after storing it) is left out,
            // as in every window: model APIs refuse an unanswered call
            window.addAll(io.github.conversationstore.ToolPairs.keepWhole(request.messages()));
            Message prompt = Message.user(String.format(Locale.ROOT, PROMPT,
                    Math.max(1, request.maxTokens() * 3 / 4)));
            Reply reply = provider.reply(new ReplyRequest(request.sessionId(), request.language(), window, prompt,
                    MODE, "summary-" + request.fromSequence() + "-" + request.toSequence()));
            if (reply == null) {
                throw new IllegalStateException("reply provider '" + provider.name() + "' returned no summary");
            }
            StringBuilder text = new StringBuilder();
            for (Part part : reply.parts()) {
                if (part instanceof Part.Text t) {
                    text.append(text.length() == 0 ? "" : "\n").append(t.text());
                }
            }
            if (text.toString().isBlank()) {
                throw new IllegalStateException("reply provider '" + provider.name() + "' returned an empty summary");
            }
            Message summary = Message.system(text.toString());
            return new Message(summary.id(), Role.SYSTEM, summary.parts(), summary.timestamp(), Map.of(),
                    reply.storedMetadata());
        };
    }
}
