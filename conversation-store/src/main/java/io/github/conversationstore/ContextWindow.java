package io.github.conversationstore;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What fits a model's context within a token budget: the newest summary that fits (if any) and
 * the messages after it, oldest first, with the token count of each item. Tool calls and their
 * results are whole; the messages a summary covers are not repeated. Made by
 * {@link ConversationStore#contextWindow(String, int, io.github.conversationstore.spi.TokenCounter)}.
 *
 * @since 0.3
 */
public final class ContextWindow {
    private final Summary summary;
    private final List<Counted> messages;
    private final int budget;

    /**
     * A message of a window with its token count.
     *
     * @param message the stored message
     * @param tokens its token count
     * @since 0.3
     */
    public record Counted(StoredMessage message, int tokens) {
        /**
         * Checks the values.
         *
         * @param message the stored message
         * @param tokens its token count, at least 0
         * @throws IllegalArgumentException if {@code tokens} is negative
         */
        public Counted {
            Objects.requireNonNull(message, "message");
            if (tokens < 0) {
                throw new IllegalArgumentException("tokens must not be negative, got " + tokens);
            }
        }
    }

    ContextWindow(Summary summary, List<Counted> messages, int budget) {
        this.summary = summary;
        this.messages = List.copyOf(messages);
        this.budget = budget;
    }

    /**
     * The summary standing for everything before the messages, if one fits.
     *
     * @return the summary, or empty
     */
    public Optional<Summary> summary() {
        return Optional.ofNullable(summary);
    }

    /**
     * The messages after the summary, oldest first, each with its token count.
     *
     * @return the messages
     */
    public List<Counted> messages() {
        return messages;
    }

    /**
     * The messages without their counts, oldest first.
     *
     * @return the messages
     */
    public List<StoredMessage> storedMessages() {
        return messages.stream().map(Counted::message).toList();
    }

    /**
     * The budget the window was made for.
     *
     * @return the budget in tokens
     */
    public int budget() {
        return budget;
    }

    /**
     * The tokens of the summary (its {@link Summary#tokenCount()}) plus those of every message.
     *
     * @return the window's token count, never more than {@link #budget()}
     */
    public int tokens() {
        long total = summary == null ? 0 : summary.tokenCount();
        for (Counted c : messages) {
            total += c.tokens();
        }
        return (int) total;
    }

    @Override
    public String toString() {
        return "ContextWindow[summary=" + (summary == null ? "none" : "[" + summary.fromSequence() + ", " + summary.toSequence() + ")")
                + ", messages=" + messages.size() + ", tokens=" + tokens() + "/" + budget + "]";
    }
}
