package io.github.conversationstore;

import java.security.SecureRandom;

/**
 * Session ids that spread over a sharded cluster.
 *
 * <p>Both collections of {@link MongoConversationStore} are sharded on ranges of {@code sessionId}
 * (see {@code docs/SHARDING.md}). Ids that grow monotonically (an {@code ObjectId}, a UUIDv7, a
 * timestamp, a counter such as {@code s-42}) all fall after the last range, so every new session
 * is written to the one shard that owns it, until the balancer moves chunks away. Random ids fall
 * anywhere: new sessions are spread over every shard from the start. Any id an application already
 * has (a user id, a random UUID) spreads as well; this class is for applications that need a new one.
 *
 * <p>Thread-safe.
 *
 * @since 0.3
 */
public final class SessionIds {
    private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray(); // Crockford's base 32
    private static final int LENGTH = 26;
    private static final SecureRandom RANDOM = new SecureRandom();

    private SessionIds() {}

    /**
     * A new session id of 26 characters from {@code [0-9a-z]} (Crockford's base 32: no {@code i},
     * {@code l}, {@code o}, {@code u}), holding 130 random bits: uniformly spread over the id space,
     * so over the ranges of a sharded cluster, and with a negligible chance of ever repeating.
     *
     * @return a random session id, valid wherever a session id is taken
     */
    public static String random() {
        byte[] bytes = new byte[17];
        RANDOM.nextBytes(bytes);
        char[] out = new char[LENGTH];
        long buffer = 0;
        int bits = 0;
        int next = 0;
        for (int i = 0; i < LENGTH; i++) {
            if (bits < 5) {
                buffer = (buffer << 8) | (bytes[next++] & 0xff);
                bits += 8;
            }
            bits -= 5;
            out[i] = ALPHABET[(int) ((buffer >>> bits) & 31)];
        }
        return new String(out);
    }
}
