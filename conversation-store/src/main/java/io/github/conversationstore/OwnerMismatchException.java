package io.github.conversationstore;

/**
 * An append named an owner other than the conversation's ({@link Owner} is fixed once set). Nothing
 * was written; retrying the same request fails the same way. Not retryable.
 *
 * @since 0.3
 */
public class OwnerMismatchException extends ConversationStoreException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message which session and append
     */
    public OwnerMismatchException(String message) {
        super(message, null);
    }

    static OwnerMismatchException of(AppendRequest request) {
        return new OwnerMismatchException("append " + request.appendId() + " to session '" + request.sessionId()
                + "' names an owner other than the conversation's; the owner of a conversation is fixed once set");
    }
}
