package io.github.conversationstore;

/**
 * The root of every exception a {@link ConversationStore} throws besides
 * {@link IllegalArgumentException} and {@link NullPointerException} for invalid arguments.
 *
 * <p>Driver exceptions never escape a store: when one is the cause, it is attached as
 * {@link #getCause()} for diagnosis only. Act on the subtype:
 * <ul>
 *   <li>{@link ConversationTooLargeException}: the write can never succeed as it is; do not retry;</li>
 *   <li>{@link ConversationStoreUnavailableException}: the database could not be reached or did not
 *       answer in time; {@linkplain #isRetryable() retry} with the same append id;</li>
 *   <li>{@link ConcurrentAppendException}: the session kept being deleted under an append through every bounded retry;
 *       retry with the same append id.</li>
 * </ul>
 *
 * @since 0.1.0
 */
public class ConversationStoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what went wrong, naming the session where there is one
     * @param cause the underlying exception, or null
     */
    public ConversationStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether repeating the same call (with the same append id) may succeed.
     *
     * @return false unless a subtype says otherwise
     */
    public boolean isRetryable() {
        return false;
    }
}
