package io.github.conversationstore;

/**
 * Encrypted content cannot be written or read, and retrying will not help: the key provider
 * cannot unwrap the conversation's data key (a wrong or missing key-encryption key), a message is
 * encrypted but the store has no key provider, or a stored message does not authenticate under its
 * conversation's data key. Nothing was written. See {@code docs/ENCRYPTION.md}.
 *
 * @since 0.3
 */
public class EncryptionException extends ConversationStoreException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what failed, naming the session where there is one; never key material or content
     * @param cause the underlying exception, or null
     */
    public EncryptionException(String message, Throwable cause) {
        super(message, cause);
    }
}
