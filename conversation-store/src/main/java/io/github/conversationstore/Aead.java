package io.github.conversationstore;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-GCM with a random 96-bit nonce and a 128-bit tag: {@code nonce || ciphertext || tag}. One
 * {@link Cipher} per thread (a {@code Cipher} is not thread-safe, and creating one costs more than
 * encrypting a message).
 */
final class Aead {
    static final int NONCE_BYTES = 12;
    static final int TAG_BITS = 128;
    /** What sealing adds to a plaintext: the nonce and the tag. */
    static final int OVERHEAD = NONCE_BYTES + TAG_BITS / 8;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no AES/GCM/NoPadding", e);
        }
    });

    private Aead() {}

    static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** Seals {@code plaintext}; {@code prefix} bytes are left free at the start of the result for the caller. */
    static byte[] seal(SecretKey key, byte[] plaintext, byte[] aad, int prefix) throws GeneralSecurityException {
        byte[] nonce = randomBytes(NONCE_BYTES);
        Cipher cipher = CIPHERS.get();
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
        cipher.updateAAD(aad);
        byte[] out = new byte[prefix + NONCE_BYTES + cipher.getOutputSize(plaintext.length)];
        System.arraycopy(nonce, 0, out, prefix, NONCE_BYTES);
        cipher.doFinal(plaintext, 0, plaintext.length, out, prefix + NONCE_BYTES);
        return out;
    }

    static byte[] seal(SecretKey key, byte[] plaintext, byte[] aad) throws GeneralSecurityException {
        return seal(key, plaintext, aad, 0);
    }

    /** Opens what {@link #seal} made, starting at {@code offset}. */
    static byte[] open(SecretKey key, byte[] sealed, int offset, byte[] aad) throws GeneralSecurityException {
        if (sealed.length - offset < OVERHEAD) {
            throw new javax.crypto.AEADBadTagException("sealed data too short");
        }
        Cipher cipher = CIPHERS.get();
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, offset, NONCE_BYTES));
        cipher.updateAAD(aad);
        return cipher.doFinal(sealed, offset + NONCE_BYTES, sealed.length - offset - NONCE_BYTES);
    }

    static byte[] open(SecretKey key, byte[] sealed, byte[] aad) throws GeneralSecurityException {
        return open(key, sealed, 0, aad);
    }

    /** Overwrites key material that is no longer needed. */
    static void wipe(byte[] bytes) {
        Arrays.fill(bytes, (byte) 0);
    }
}
