package io.github.conversationstore.spi;

/**
 * Wraps and unwraps data keys under named key-encryption keys: the SPI through which a store that
 * encrypts messages ({@code encryption(KeyProvider)} on either store's builder) reaches a key
 * management service, or a key held locally
 * ({@link io.github.conversationstore.LocalKeyProvider}).
 *
 * <p>The store draws one random 256-bit AES data key per conversation life, encrypts the
 * conversation's message content with it (AES-256-GCM, on the client), and stores only the data key
 * wrapped by {@link #wrap(byte[])}. It calls {@link #unwrap(WrappedKey)} when it meets a
 * conversation whose data key it has not unwrapped yet (once per conversation and process, as it
 * caches unwrapped keys), and {@link #wrap(byte[])} once per new conversation. Deleting the
 * conversation deletes its wrapped data key.
 *
 * <p>Rotation: {@link #currentKeyId()} names the key-encryption key new data keys are wrapped
 * under. After it changes, the store's {@code rewrapDataKeys()} unwraps every data key wrapped
 * under another key id and wraps it again under the current one; messages are not rewritten. The
 * provider must keep unwrapping under the old key ids until that has run.
 *
 * <p>Failures: throw {@link KeyProviderException}, saying whether a retry may help (a timeout, an
 * unreachable service, throttling: yes; an unknown key id, a wrapped key that does not
 * authenticate, a revoked permission: no). Any other runtime exception is treated as retryable. An
 * append whose key call fails writes nothing and fails with a retryable
 * {@link io.github.conversationstore.ConversationStoreUnavailableException}, or, when the provider
 * says no retry can help, with {@link io.github.conversationstore.EncryptionException}. Bound every
 * call with a timeout of your own (KMS clients have one): the store cannot interrupt a call.
 *
 * <p>Implementations must be thread-safe. A KMS plugs in by implementing the three methods with
 * its encrypt and decrypt calls (AWS KMS {@code Encrypt}/{@code Decrypt}, Google Cloud KMS
 * {@code encrypt}/{@code decrypt}, Azure Key Vault {@code wrapKey}/{@code unwrapKey}, HashiCorp
 * Vault transit), with the key's name or version as the key id.
 *
 * @since 0.3
 */
public interface KeyProvider {
    /**
     * The id of the key-encryption key that {@link #wrap(byte[])} wraps under now.
     *
     * @return a non-empty key id, stored beside every data key wrapped under it
     */
    String currentKeyId();

    /**
     * Wraps a data key under the current key-encryption key.
     *
     * @param dataKey the 32 bytes of a data key; not kept, and not to be kept, by the provider
     * @return the wrapped key and the id of the key it was wrapped under
     * @throws KeyProviderException if the key cannot be wrapped
     */
    WrappedKey wrap(byte[] dataKey);

    /**
     * Unwraps a data key wrapped by {@link #wrap(byte[])}, under whichever key id it names.
     *
     * @param wrapped the wrapped key
     * @return the 32 bytes of the data key
     * @throws KeyProviderException if the key id is unknown, the wrapped key does not authenticate
     *     under it, or the provider failed
     */
    byte[] unwrap(WrappedKey wrapped);
}
