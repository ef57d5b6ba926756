package io.github.conversationstore.spi;

import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.Summary;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link Summarizer} gets to summarize one range of a conversation.
 *
 * @param sessionId the conversation's key
 * @param language the conversation's language (BCP 47 tag)
 * @param previous the newest summary stored before the range, ending where the range starts (the
 *     new summary is built on it and stands for everything before its end), or null if none
 * @param messages the messages of the range, oldest first, never empty; the range never ends between a
 *     tool call and its results, but it may hold a call a failed turn left without results (send it
 *     to a model through {@link io.github.conversationstore.ToolPairs#keepWhole})
 * @param maxTokens the most tokens the summary may take, as the compaction's counter counts them
 * @since 0.3
 */
public record SummaryRequest(String sessionId, String language, Summary previous, List<StoredMessage> messages,
        int maxTokens) {

    /**
     * Validates and copies the components.
     *
     * @param sessionId the conversation's key
     * @param language the language tag
     * @param previous the summary the new one is built on, or null
     * @param messages the messages to summarize
     * @param maxTokens the summary's largest size in tokens
     * @throws NullPointerException if {@code sessionId}, {@code language} or {@code messages} is null
     * @throws IllegalArgumentException if {@code messages} is empty or {@code maxTokens} is not positive
     */
    public SummaryRequest {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(language, "language");
        messages = List.copyOf(Objects.requireNonNull(messages, "messages"));
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("messages must not be empty: a summary covers at least one message");
        }
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens must be positive, got " + maxTokens);
        }
    }

    /**
     * The summary the new one is built on.
     *
     * @return the previous summary, or empty if the range starts the conversation
     */
    public Optional<Summary> previousSummary() {
        return Optional.ofNullable(previous);
    }

    /**
     * The first sequence number the new summary covers: where the previous one ends, or 0.
     *
     * @return the sequence of the first message
     */
    public long fromSequence() {
        return messages.get(0).sequence();
    }

    /**
     * The sequence number after the last one the new summary covers.
     *
     * @return the sequence of the last message plus one
     */
    public long toSequence() {
        return messages.get(messages.size() - 1).sequence() + 1;
    }
}
