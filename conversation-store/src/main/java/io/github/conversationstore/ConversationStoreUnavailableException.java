package io.github.conversationstore;

/**
 * The database could not be reached, or did not acknowledge a write, within the store's bounded
 * retries. A write may or may not have been applied; repeating it with the same append id is safe
 * and applies it at most once.
 *
 * @since 0.1.0
 */
public class ConversationStoreUnavailableException extends ConversationStoreException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what failed
     * @param cause the underlying exception, or null
     */
    public ConversationStoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    /** {@inheritDoc} */
    @Override
    public boolean isRetryable() {
        return true;
    }
}
