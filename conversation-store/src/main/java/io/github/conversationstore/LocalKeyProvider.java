package io.github.conversationstore;

import io.github.conversationstore.spi.KeyProvider;
import io.github.conversationstore.spi.KeyProviderException;
import io.github.conversationstore.spi.WrappedKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.spec.SecretKeySpec;

/**
 * A {@link KeyProvider} holding its key-encryption keys in memory: each a 32-byte AES-256 key
 * under a key id. Data keys are wrapped with AES-256-GCM under the current key (a random 96-bit
 * nonce, the key id as associated data). For tests, development, and applications that keep the
 * key in their own secret store and pass its bytes in; a KMS is the production choice (see
 * {@link KeyProvider}). Immutable and thread-safe.
 *
 * <pre>{@code
 * KeyProvider keys = LocalKeyProvider.of("k1", secretBytes);          // 32 bytes
 * KeyProvider rotated = LocalKeyProvider.of("k1", secretBytes).rotatedTo("k2", newBytes);
 * }</pre>
 *
 * @since 0.3
 */
public final class LocalKeyProvider implements KeyProvider {
    /** The length of a key-encryption key, in bytes. */
    public static final int KEY_BYTES = 32;

    private final String currentKeyId;
    private final Map<String, SecretKeySpec> keys;

    private LocalKeyProvider(String currentKeyId, Map<String, SecretKeySpec> keys) {
        this.currentKeyId = currentKeyId;
        this.keys = keys;
    }

    /**
     * A provider with one key-encryption key.
     *
     * @param keyId the key's id, stored beside every data key it wraps: 1 to 64 printable ASCII
     *     characters
     * @param key the key, 32 bytes (copied)
     * @return the provider
     * @throws IllegalArgumentException if {@code keyId} is empty, too long or not printable ASCII,
     *     or {@code key} is not 32 bytes long
     */
    public static LocalKeyProvider of(String keyId, byte[] key) {
        Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
        keys.put(checkedId(keyId), spec(key));
        return new LocalKeyProvider(keyId, keys);
    }

    /**
     * A provider that wraps under a new current key and still unwraps under this provider's keys:
     * hand it to the store, run {@code rewrapDataKeys()}, then the old keys can be retired.
     *
     * @param keyId the new key's id (rules as in {@link #of(String, byte[])}), not one of this provider's
     * @param key the new key, 32 bytes (copied)
     * @return a new provider; this one is unchanged
     * @throws IllegalArgumentException if the id breaks the rules or is already used, or {@code key}
     *     is not 32 bytes long
     */
    public LocalKeyProvider rotatedTo(String keyId, byte[] key) {
        if (keys.containsKey(checkedId(keyId))) {
            throw new IllegalArgumentException("keyId '" + keyId + "' is already a key of this provider; a new key needs a new id");
        }
        Map<String, SecretKeySpec> all = new LinkedHashMap<>(keys);
        all.put(keyId, spec(key));
        return new LocalKeyProvider(keyId, all);
    }

    private static String checkedId(String keyId) {
        Objects.requireNonNull(keyId, "keyId");
        if (keyId.isEmpty() || keyId.length() > 64) {
            throw new IllegalArgumentException("keyId must be 1 to 64 characters long, was " + keyId.length());
        }
        for (int i = 0; i < keyId.length(); i++) {
            char c = keyId.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new IllegalArgumentException("keyId must be printable ASCII without spaces (character " + i + ")");
            }
        }
        return keyId;
    }

    private static SecretKeySpec spec(byte[] key) {
        Objects.requireNonNull(key, "key");
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("key must be " + KEY_BYTES + " bytes (AES-256), was " + key.length);
        }
        return new SecretKeySpec(key.clone(), "AES");
    }

    @Override
    public String currentKeyId() {
        return currentKeyId;
    }

    @Override
    public WrappedKey wrap(byte[] dataKey) {
        Objects.requireNonNull(dataKey, "dataKey");
        try {
            return new WrappedKey(currentKeyId, Aead.seal(keys.get(currentKeyId), dataKey, aad(currentKeyId)));
        } catch (GeneralSecurityException e) {
            throw new KeyProviderException("could not wrap a data key under key '" + currentKeyId + "'", false, e);
        }
    }

    @Override
    public byte[] unwrap(WrappedKey wrapped) {
        Objects.requireNonNull(wrapped, "wrapped");
        SecretKeySpec key = keys.get(wrapped.keyId());
        if (key == null) {
            throw new KeyProviderException("unknown key id '" + wrapped.keyId() + "': this provider holds "
                    + keys.keySet(), false, null);
        }
        try {
            return Aead.open(key, wrapped.ciphertext(), aad(wrapped.keyId()));
        } catch (AEADBadTagException e) {
            throw new KeyProviderException("the data key does not authenticate under key '" + wrapped.keyId()
                    + "': a wrong key-encryption key under that id, or a damaged wrapped key", false, e);
        } catch (GeneralSecurityException e) {
            throw new KeyProviderException("could not unwrap a data key under key '" + wrapped.keyId() + "'", false, e);
        }
    }

    private static byte[] aad(String keyId) {
        return ("conversation-store/kek/" + keyId).getBytes(StandardCharsets.US_ASCII);
    }

    /** The key ids, never the keys. */
    @Override
    public String toString() {
        return "LocalKeyProvider[current=" + currentKeyId + ", keys=" + keys.keySet() + "]";
    }
}
