package io.github.conversationstore;

import java.util.Arrays;

/** Key-encryption keys for tests: fixed bytes, so that a failure can be replayed. */
final class TestKeys {
    private TestKeys() {}

    static byte[] key(int seed) {
        byte[] key = new byte[LocalKeyProvider.KEY_BYTES];
        Arrays.fill(key, (byte) seed);
        key[0] = (byte) (seed * 31 + 7);
        return key;
    }

    static LocalKeyProvider provider() {
        return LocalKeyProvider.of("test-kek-1", key(1));
    }
}
