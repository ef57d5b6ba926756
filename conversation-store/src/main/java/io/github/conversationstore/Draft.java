package io.github.conversationstore;

import java.util.Objects;

/**
 * The text so far of a turn's streamed reply, stored while it streams so that a follower in any
 * process can show it and a crash loses no more than the last interval. Drafts never appear in
 * windows or reads of messages, and are erased with their conversation. When the reply is stored
 * the draft's text goes and an end marker stays (with the reply's sequence number), so a follower
 * that comes late finds the stored reply.
 *
 * @param turnId the turn
 * @param attempt counts the provider calls of the turn that wrote it (from 1): a new attempt (a tool
 *     step, a retry, a resume in another process) starts the text again
 * @param text the text so far; empty once the turn ended
 * @param stopRequested whether a stop was asked for ({@link TurnService#stop})
 * @param replySequence the stored reply's sequence number once the turn ended, else -1
 * @since 0.3
 */
public record Draft(String turnId, int attempt, String text, boolean stopRequested, long replySequence) {

    /**
     * Checks the components.
     *
     * @param turnId the turn
     * @param attempt the attempt, at least 1
     * @param text the text so far
     * @param stopRequested whether a stop was asked for
     * @param replySequence the reply's sequence, or -1
     * @throws NullPointerException if {@code turnId} or {@code text} is null
     */
    public Draft {
        Objects.requireNonNull(turnId, "turnId");
        Objects.requireNonNull(text, "text");
    }

    /**
     * Whether the turn's reply is stored.
     *
     * @return true once the turn ended
     */
    public boolean ended() {
        return replySequence >= 0;
    }

    /** What a draft write found. */
    enum Write {
        /** Stored. */
        WRITTEN,
        /** Stored, and a stop was asked for: the writer stops the stream. */
        STOP_REQUESTED,
        /** Not stored: another writer (a resume of the turn elsewhere) owns the draft now. */
        TAKEN_OVER
    }
}
