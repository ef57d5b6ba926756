package io.github.conversationstore;

/**
 * Other writers of the same session kept winning, or the session kept being deleted, through every
 * bounded retry of an append. Nothing of this append was written; repeating it with the same append
 * id is safe.
 *
 * @since 0.1.0
 */
public class ConcurrentAppendException extends ConversationStoreException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what conflicted
     * @param cause the last underlying exception, or null
     */
    public ConcurrentAppendException(String message, Throwable cause) {
        super(message, cause);
    }

    /** {@inheritDoc} */
    @Override
    public boolean isRetryable() {
        return true;
    }
}
