package io.github.conversationstore.spi;

/**
 * Thrown by a {@link ReplyProvider} that could not produce a reply.
 *
 * @since 0.1.0
 */
public class ReplyProviderException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Whether calling again may succeed. */
    private final boolean retryable;

    /**
     * Creates an exception.
     *
     * @param message what failed
     * @param retryable whether calling again may succeed (rate limit, overload, timeout)
     * @param cause the underlying exception, or null
     */
    public ReplyProviderException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    /**
     * Whether calling the provider again may succeed.
     *
     * @return true for transient failures
     */
    public boolean isRetryable() {
        return retryable;
    }
}
