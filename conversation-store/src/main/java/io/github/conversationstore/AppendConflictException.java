package io.github.conversationstore;

/**
 * An append id was used again with other messages. An append id names one content: a repeat with
 * the same messages (same roles, texts and attributes, in the same order) is reported as a
 * {@linkplain AppendResult#duplicate() duplicate}; a repeat with other messages is refused with
 * this exception, so that they are never silently dropped. Nothing was written. Not retryable: use
 * a new append id for new messages.
 *
 * @since 0.2.0
 */
public class AppendConflictException extends ConversationStoreException {
    private static final long serialVersionUID = 1L;

    /** The append id used twice. */
    private final String appendId;
    /** Where the messages first stored under the append id start. */
    private final long firstSequence;

    /**
     * Creates an exception.
     *
     * @param message what differs
     * @param appendId the append id used twice
     * @param firstSequence the sequence number of the first message stored under that id
     */
    public AppendConflictException(String message, String appendId, long firstSequence) {
        super(message, null);
        this.appendId = appendId;
        this.firstSequence = firstSequence;
    }

    /** The exception for a repeat of {@code request}'s append id whose first batch starts at {@code firstSequence}. */
    static AppendConflictException of(AppendRequest request, long firstSequence) {
        return new AppendConflictException("append id " + request.appendId() + " of session '" + request.sessionId()
                + "' was applied before with other messages (from sequence number " + firstSequence
                + "); an append id names one content: use a new append id for new messages",
                request.appendId(), firstSequence);
    }

    /**
     * Returns the append id used twice.
     *
     * @return the append id
     */
    public String appendId() {
        return appendId;
    }

    /**
     * Returns where the messages first stored under this append id start.
     *
     * @return the sequence number of the first of them
     */
    public long firstSequence() {
        return firstSequence;
    }

    /** {@inheritDoc} */
    @Override
    public boolean isRetryable() {
        return false;
    }
}
