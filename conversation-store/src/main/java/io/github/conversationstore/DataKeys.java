package io.github.conversationstore;

import io.github.conversationstore.spi.KeyProvider;
import io.github.conversationstore.spi.KeyProviderException;
import io.github.conversationstore.spi.WrappedKey;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.bson.types.ObjectId;

/**
 * The calls into a {@link KeyProvider}, shared by both stores: drawing a data key, unwrapping one,
 * rewrapping one under the current key-encryption key; and what a failure of the provider becomes.
 * A provider that says a retry may help (or throws anything but a non-retryable
 * {@link KeyProviderException}) fails the operation with a retryable
 * {@link ConversationStoreUnavailableException}; one that says no retry can help (a wrong or unknown
 * key) with {@link EncryptionException}. Every call happens before the operation writes anything.
 */
final class DataKeys {
    static final int DATA_KEY_BYTES = 32;

    private final KeyProvider provider;

    DataKeys(KeyProvider provider) {
        this.provider = provider;
    }

    KeyProvider provider() {
        return provider;
    }

    /** Draws a new data key for {@code sessionId} and wraps it. */
    DataKey create(String sessionId) {
        byte[] raw = Aead.randomBytes(DATA_KEY_BYTES);
        try {
            WrappedKey wrapped;
            try {
                wrapped = provider.wrap(raw.clone());
            } catch (RuntimeException e) {
                throw failure("wrap a new data key for session '" + sessionId + "'", e);
            }
            if (wrapped == null) {
                throw new EncryptionException("the key provider returned no wrapped key for session '" + sessionId + "'", null);
            }
            return new DataKey(new ObjectId(), new SecretKeySpec(raw, "AES"), wrapped, true);
        } finally {
            Aead.wipe(raw);
        }
    }

    /** Unwraps a stored data key of {@code sessionId}. */
    SecretKey unwrap(String sessionId, WrappedKey wrapped) {
        byte[] raw;
        try {
            raw = provider.unwrap(wrapped);
        } catch (RuntimeException e) {
            throw failure("unwrap the data key of session '" + sessionId + "' (key-encryption key '" + wrapped.keyId() + "')", e);
        }
        if (raw == null || raw.length != DATA_KEY_BYTES) {
            throw new EncryptionException("the key provider unwrapped the data key of session '" + sessionId
                    + "' to " + (raw == null ? "nothing" : raw.length + " bytes") + ", not " + DATA_KEY_BYTES
                    + ": a wrong key-encryption key under id '" + wrapped.keyId() + "'", null);
        }
        try {
            return new SecretKeySpec(raw, "AES");
        } finally {
            Aead.wipe(raw);
        }
    }

    /** {@code wrapped} wrapped again under the current key-encryption key; null if it already is. */
    WrappedKey rewrap(String sessionId, WrappedKey wrapped) {
        String current = provider.currentKeyId();
        if (wrapped.keyId().equals(current)) {
            return null;
        }
        SecretKey key = unwrap(sessionId, wrapped);
        byte[] raw = key.getEncoded();
        try {
            return provider.wrap(raw);
        } catch (RuntimeException e) {
            throw failure("rewrap the data key of session '" + sessionId + "'", e);
        } finally {
            Aead.wipe(raw);
        }
    }

    /** What a failed provider call becomes (never carrying key material: only the provider's message). */
    static ConversationStoreException failure(String what, RuntimeException e) {
        if (e instanceof ConversationStoreException stored) {
            return stored;
        }
        if (e instanceof KeyProviderException kpe && !kpe.isRetryable()) {
            return new EncryptionException("could not " + what + ": " + e.getMessage() + "; nothing was written", e);
        }
        return new ConversationStoreUnavailableException("could not " + what + ": the key provider failed ("
                + e.getClass().getSimpleName() + ": " + e.getMessage()
                + "); nothing was written; retry with the same append id", e);
    }
}
