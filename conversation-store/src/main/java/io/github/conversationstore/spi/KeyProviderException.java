package io.github.conversationstore.spi;

/**
 * A {@link KeyProvider} could not wrap or unwrap a data key.
 *
 * @since 0.3
 */
public class KeyProviderException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @serial whether repeating the call may succeed */
    private final boolean retryable;

    /**
     * Creates an exception.
     *
     * @param message what failed; never key material
     * @param retryable whether repeating the call may succeed (a timeout, throttling: yes; an
     *     unknown key id, a wrapped key that does not authenticate: no)
     * @param cause the underlying exception, or null
     */
    public KeyProviderException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    /**
     * Whether repeating the call may succeed.
     *
     * @return what the provider said
     */
    public boolean isRetryable() {
        return retryable;
    }
}
