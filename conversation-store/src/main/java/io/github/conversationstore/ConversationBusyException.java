package io.github.conversationstore;

/**
 * Another turn of the same session held its lease for longer than the turn service waits. Nothing
 * of this turn was stored; try again later with the same turn id.
 *
 * @since 0.1.0
 */
public class ConversationBusyException extends ConversationStoreException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message which session was busy, and for how long the turn waited
     */
    public ConversationBusyException(String message) {
        super(message, null);
    }

    /** {@inheritDoc} */
    @Override
    public boolean isRetryable() {
        return true;
    }
}
