package io.github.conversationstore;

/**
 * An append that requires its conversation to exist (see {@link AppendRequest#requireExisting()})
 * found none: the session was never written, was deleted, or holds only a lease. Nothing was
 * written. Not retryable as it is: the conversation is gone (or not there yet), and appending
 * without the requirement would start it anew.
 *
 * @since 0.3
 */
public class ConversationNotFoundException extends ConversationStoreException {
    private static final long serialVersionUID = 1L;

    /** The session the append was for. */
    private final String sessionId;

    /**
     * Creates an exception.
     *
     * @param message what was refused and why
     * @param sessionId the session the append was for
     */
    public ConversationNotFoundException(String message, String sessionId) {
        super(message, null);
        this.sessionId = sessionId;
    }

    /** The exception for {@code request} refused because its conversation does not exist. */
    static ConversationNotFoundException of(AppendRequest request) {
        return new ConversationNotFoundException("append " + request.appendId() + " requires session '"
                + request.sessionId() + "' to exist, and it does not (never written, deleted, or holding only a lease);"
                + " nothing was written", request.sessionId());
    }

    /**
     * Returns the session the refused append was for.
     *
     * @return the session id
     */
    public String sessionId() {
        return sessionId;
    }

    /** {@inheritDoc} */
    @Override
    public boolean isRetryable() {
        return false;
    }
}
