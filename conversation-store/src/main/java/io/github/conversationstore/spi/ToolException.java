package io.github.conversationstore.spi;

/**
 * Thrown by a {@link Tool} that failed. A retryable failure is retried (with the same idempotency
 * key) up to the turn service's bound, after which the turn fails and may be resumed by its id; a
 * failure that is not retryable becomes an error result that the model reads, and the turn goes on.
 *
 * @since 0.2.0
 */
public class ToolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Whether running the call again may succeed. */
    private final boolean retryable;

    /**
     * Creates an exception.
     *
     * @param message what failed, for the model to read (when not retryable)
     * @param retryable whether running the call again may succeed (a timeout, an unavailable service)
     * @param cause the underlying exception, or null
     */
    public ToolException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    /**
     * Whether running the call again may succeed.
     *
     * @return true for transient failures
     */
    public boolean isRetryable() {
        return retryable;
    }
}
