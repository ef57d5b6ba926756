package io.github.conversationstore;

/**
 * An append id was applied in a conversation that was deleted since: the append (or an earlier
 * request with its append id, such as the store's own attempt whose reply was lost) was written
 * before {@link ConversationStore#deleteConversation(String)}, and the erasure is final, so it is
 * not written again into the conversation that follows. Nothing was written. Not retryable: the
 * messages belong to the erased conversation; to write them into the new one, use a new append id.
 *
 * <p>A store remembers the append ids of a deleted conversation (as fingerprints, without content)
 * for as long as it remembers the ids of a live one: until the dedup window's count of appends has
 * passed in the conversation that follows (see {@code docs/ARCHITECTURE.md}).
 *
 * @since 0.3
 */
public class AppendErasedException extends ConversationStoreException {
    private static final long serialVersionUID = 1L;

    /** The append id that was erased. */
    private final String appendId;

    /**
     * Creates an exception.
     *
     * @param message which session and append id
     * @param appendId the append id applied before the erasure
     */
    public AppendErasedException(String message, String appendId) {
        super(message, null);
        this.appendId = appendId;
    }

    /** The exception for {@code request}, the same words in every store. */
    static AppendErasedException of(AppendRequest request) {
        return new AppendErasedException("append id " + request.appendId() + " of session '" + request.sessionId()
                + "' was applied before the conversation was deleted; erasure is final: nothing was written"
                + " (use a new append id to write to the new conversation)", request.appendId());
    }

    /**
     * Returns the append id applied before the erasure.
     *
     * @return the append id
     */
    public String appendId() {
        return appendId;
    }

    /** {@inheritDoc} */
    @Override
    public boolean isRetryable() {
        return false;
    }
}
