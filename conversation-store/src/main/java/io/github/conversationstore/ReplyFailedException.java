package io.github.conversationstore;

/**
 * The reply provider gave no usable reply within its bounded attempts. The user's message of the
 * turn is stored; calling {@link TurnService#respond(TurnRequest)} again with the same turn id
 * produces the reply without storing the user's message twice.
 *
 * @since 0.1.0
 */
public class ReplyFailedException extends ConversationStoreException {
    private static final long serialVersionUID = 1L;

    /** The id of the failed turn. */
    private final String turnId;
    /** Whether the last failure was transient. */
    private final boolean retryable;

    /**
     * Creates an exception.
     *
     * @param message what failed, with the session and the number of attempts
     * @param turnId the turn to retry
     * @param retryable whether the last failure was one the provider marked retryable (or a timeout)
     * @param cause the provider's last exception, or null
     */
    public ReplyFailedException(String message, String turnId, boolean retryable, Throwable cause) {
        super(message, cause);
        this.turnId = turnId;
        this.retryable = retryable;
    }

    /**
     * The id of the failed turn: pass it again to retry the turn.
     *
     * @return the turn id
     */
    public String turnId() {
        return turnId;
    }

    /** {@inheritDoc} */
    @Override
    public boolean isRetryable() {
        return retryable;
    }
}
