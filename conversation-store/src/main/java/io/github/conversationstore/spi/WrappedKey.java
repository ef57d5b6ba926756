package io.github.conversationstore.spi;

import java.util.Arrays;
import java.util.Objects;

/**
 * A data key wrapped by a {@link KeyProvider}: the id of the key-encryption key it was wrapped
 * under, and the provider's ciphertext. Immutable; the array is copied in and out.
 *
 * @since 0.3
 */
public final class WrappedKey {
    private final String keyId;
    private final byte[] ciphertext;

    /**
     * Creates a wrapped key.
     *
     * @param keyId the id of the key-encryption key, non-empty
     * @param ciphertext what the provider made of the data key, non-empty
     * @throws IllegalArgumentException if {@code keyId} or {@code ciphertext} is empty
     */
    public WrappedKey(String keyId, byte[] ciphertext) {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(ciphertext, "ciphertext");
        if (keyId.isEmpty()) {
            throw new IllegalArgumentException("keyId must not be empty");
        }
        if (ciphertext.length == 0) {
            throw new IllegalArgumentException("ciphertext must not be empty");
        }
        this.keyId = keyId;
        this.ciphertext = ciphertext.clone();
    }

    /**
     * The id of the key-encryption key the data key is wrapped under.
     *
     * @return the key id
     */
    public String keyId() {
        return keyId;
    }

    /**
     * The wrapped data key.
     *
     * @return a copy of the provider's ciphertext
     */
    public byte[] ciphertext() {
        return ciphertext.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WrappedKey other && keyId.equals(other.keyId) && Arrays.equals(ciphertext, other.ciphertext);
    }

    @Override
    public int hashCode() {
        return 31 * keyId.hashCode() + Arrays.hashCode(ciphertext);
    }

    /** The key id and the ciphertext's length; never the ciphertext. */
    @Override
    public String toString() {
        return "WrappedKey[keyId=" + keyId + ", " + ciphertext.length + " bytes]";
    }
}
