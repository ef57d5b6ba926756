package io.github.conversationstore;

import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * An immutable summary of a contiguous range of one conversation's messages, stored beside them:
 * the messages it covers are never deleted, so {@link ConversationStore#readMessages} still returns
 * every message ever appended.
 *
 * <p>A summary covers the sequence numbers {@code [fromSequence, toSequence)} of the conversation's
 * current life (a deleted conversation's summaries go with it). It either starts at {@code 0} or
 * right after the newest summary stored before it (and is then built on that one, so the newest
 * summary always stands for everything before its {@code toSequence}). Its content is a message:
 * parts and metadata, such as {@link Message#MODEL} for the model that wrote it and
 * {@link Message#USAGE} for the tokens it took.
 *
 * @param fromSequence the first sequence number covered, at least 0
 * @param toSequence the sequence number after the last one covered, greater than {@code fromSequence}
 * @param message the summary's content
 * @param tokenCount the summary's own size in tokens, as the writer counted it, at least 0
 * @since 0.3
 */
public record Summary(long fromSequence, long toSequence, Message message, int tokenCount) {

    /**
     * Checks the range and the token count.
     *
     * @param fromSequence the first sequence number covered, at least 0
     * @param toSequence the sequence number after the last one covered, greater than {@code fromSequence}
     * @param message the summary's content
     * @param tokenCount the summary's own size in tokens, at least 0
     * @throws IllegalArgumentException if {@code fromSequence} is negative, {@code toSequence} is not
     *     greater than it, or {@code tokenCount} is negative
     * @throws NullPointerException if {@code message} is null
     */
    public Summary {
        Checks.notNegative("fromSequence", fromSequence);
        if (toSequence <= fromSequence) {
            throw new IllegalArgumentException("toSequence must be greater than fromSequence: a summary covers at least"
                    + " one message, got [" + fromSequence + ", " + toSequence + ")");
        }
        Objects.requireNonNull(message, "message");
        if (tokenCount < 0) {
            throw new IllegalArgumentException("tokenCount must not be negative, got " + tokenCount);
        }
    }

    /**
     * A summary of {@code [fromSequence, toSequence)} as a system message with one text part.
     *
     * @param fromSequence the first sequence number covered
     * @param toSequence the sequence number after the last one covered
     * @param text the summary's text
     * @param tokenCount the summary's size in tokens
     * @return the summary
     * @throws IllegalArgumentException as the canonical constructor does
     */
    public static Summary of(long fromSequence, long toSequence, String text, int tokenCount) {
        return new Summary(fromSequence, toSequence, Message.system(text), tokenCount);
    }

    /**
     * How many messages the summary covers.
     *
     * @return {@code toSequence - fromSequence}
     */
    public long size() {
        return toSequence - fromSequence;
    }

    /** Whether the two summaries say the same (range, content and token count; the message id aside). */
    boolean sameContent(Summary other) {
        return fromSequence == other.fromSequence && toSequence == other.toSequence && tokenCount == other.tokenCount
                && MessageCodec.sameContent(message, other.message);
    }

    /**
     * The rule on a range's edge, given the stored messages from {@code toSequence - 1} on (up to
     * two): the range does not end inside a tool exchange (the message after it is no tool
     * result), and, with {@code lastMessageId}, its last message is the one summarized.
     */
    static void checkEdge(String sessionId, Summary summary, String lastMessageId, List<StoredMessage> edge) {
        if (lastMessageId != null && (edge.isEmpty() || edge.get(0).sequence() != summary.toSequence - 1
                || !edge.get(0).message().id().equals(lastMessageId))) {
            throw otherLife(sessionId, summary);
        }
        if (edge.size() > 1 && edge.get(1).role() == Role.TOOL) {
            throw new IllegalArgumentException("summary range [" + summary.fromSequence + ", " + summary.toSequence
                    + ") of session '" + sessionId + "' ends inside a tool exchange: toSequence must not be the sequence"
                    + " of a tool result (a range never splits a tool call from its results)");
        }
    }

    /** The refusal of a summary whose range's last message is not the one summarized (another life's). */
    static NoSuchElementException otherLife(String sessionId, Summary summary) {
        return new NoSuchElementException("the summary of [" + summary.fromSequence + ", " + summary.toSequence
                + ") was not stored: session '" + sessionId + "' was deleted (and begun again) after its messages were"
                + " summarized");
    }

    /**
     * The rule every store applies before writing {@code summary} over a life holding
     * {@code messageCount} messages whose newest summary ends at {@code newestEnd} (0 if none).
     */
    static void checkRange(String sessionId, Summary summary, long messageCount, long newestEnd) {
        if (summary.toSequence > messageCount) {
            throw new IllegalArgumentException("summary range [" + summary.fromSequence + ", " + summary.toSequence
                    + ") goes beyond the " + messageCount + " messages stored in session '" + sessionId + "'");
        }
        if (summary.fromSequence != 0 && summary.fromSequence != newestEnd || summary.toSequence <= newestEnd) {
            throw new IllegalArgumentException("summary range [" + summary.fromSequence + ", " + summary.toSequence
                    + ") overlaps the summaries of session '" + sessionId + "' differently: a new summary starts at 0 or at "
                    + newestEnd + " (where the newest ends) and ends after " + newestEnd);
        }
    }
}
