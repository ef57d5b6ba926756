package io.github.conversationstore;

/**
 * The session kept being deleted under an append, through every bounded retry. Nothing of this
 * append was written; repeating it with the same append id is safe. (Since 0.3 the Mongo store no
 * longer gives up on writers that keep winning races: it retries those until the operation timeout,
 * and fails then with {@link ConversationStoreUnavailableException}.)
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
