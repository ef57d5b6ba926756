package io.github.conversationstore;

/**
 * A write that can never fit: a document would pass the store's size bound or MongoDB's 16 MB
 * limit (server codes 10334, 17419, 17420). Nothing was written; repeating the call fails again.
 *
 * @since 0.1.0
 */
public class ConversationTooLargeException extends ConversationStoreException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what was too large, and the bound
     * @param cause the underlying exception, or null
     */
    public ConversationTooLargeException(String message, Throwable cause) {
        super(message, cause);
    }
}
