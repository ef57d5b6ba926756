package io.github.conversationstore;

/**
 * An append that expected a sequence (see {@link AppendRequest#expectedSequence()}) found the
 * session elsewhere: another writer appended first, or the session was deleted. Nothing was written.
 * Not retryable as it is: read the conversation again, decide again, and append with the new
 * expectation (and a new append id if the messages change).
 *
 * @since 0.3
 */
public class SequenceMismatchException extends ConversationStoreException {
    private static final long serialVersionUID = 1L;

    /** The append id of the refused append. */
    private final String appendId;
    /** The sequence the append expected. */
    private final long expectedSequence;
    /** The sequence the batch's first message would have got. */
    private final long actualNextSequence;

    /**
     * Creates an exception.
     *
     * @param message what was expected and found
     * @param appendId the append id of the refused append
     * @param expectedSequence the sequence the append expected
     * @param actualNextSequence the session's actual next sequence when it was refused
     */
    public SequenceMismatchException(String message, String appendId, long expectedSequence, long actualNextSequence) {
        super(message, null);
        this.appendId = appendId;
        this.expectedSequence = expectedSequence;
        this.actualNextSequence = actualNextSequence;
    }

    /** The exception for {@code request} refused at a session whose next sequence is {@code actual}. */
    static SequenceMismatchException of(AppendRequest request, long actual) {
        return new SequenceMismatchException("append " + request.appendId() + " to session '" + request.sessionId()
                + "' expected its first message at sequence " + request.expectedSequence() + " but the session's next is "
                + actual + "; nothing was written: read the conversation again and append with the new expectation",
                request.appendId(), request.expectedSequence(), actual);
    }

    /**
     * Returns the append id of the refused append.
     *
     * @return the append id
     */
    public String appendId() {
        return appendId;
    }

    /**
     * Returns the sequence the append expected its first message to get.
     *
     * @return the expected sequence
     */
    public long expectedSequence() {
        return expectedSequence;
    }

    /**
     * Returns the sequence the batch's first message would have got when it was refused.
     *
     * @return the session's next sequence at that moment
     */
    public long actualNextSequence() {
        return actualNextSequence;
    }

    /** {@inheritDoc} */
    @Override
    public boolean isRetryable() {
        return false;
    }
}
