package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.spi.KeyProviderException;
import io.github.conversationstore.spi.WrappedKey;
import org.junit.jupiter.api.Test;

class LocalKeyProviderTest {

    @Test
    void of_keyOfAnotherLength_isRefusedNamingTheRule() {
        assertThatThrownBy(() -> LocalKeyProvider.of("k", new byte[16])).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key must be 32 bytes (AES-256), was 16");
        assertThatThrownBy(() -> LocalKeyProvider.of("k", new byte[33])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was 33");
    }

    @Test
    void of_badKeyIds_areRefused() {
        assertThatThrownBy(() -> LocalKeyProvider.of("", TestKeys.key(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keyId must be 1 to 64 characters");
        assertThatThrownBy(() -> LocalKeyProvider.of("x".repeat(65), TestKeys.key(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LocalKeyProvider.of("a b", TestKeys.key(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("printable ASCII");
        assertThatThrownBy(() -> LocalKeyProvider.of(null, TestKeys.key(1))).isInstanceOf(NullPointerException.class);
    }

    @Test
    void wrapThenUnwrap_givesTheDataKeyBack_andNeverTheSameCiphertextTwice() {
        LocalKeyProvider keys = LocalKeyProvider.of("k1", TestKeys.key(1));
        byte[] dataKey = TestKeys.key(5);
        WrappedKey a = keys.wrap(dataKey);
        WrappedKey b = keys.wrap(dataKey);
        assertThat(a.keyId()).isEqualTo("k1");
        assertThat(a.ciphertext()).isNotEqualTo(b.ciphertext()).isNotEqualTo(dataKey);
        assertThat(keys.unwrap(a)).isEqualTo(dataKey);
        assertThat(a.toString()).doesNotContain(java.util.Arrays.toString(a.ciphertext()));
    }

    @Test
    void unwrap_withAnotherKeyUnderTheSameId_failsNotRetryably() {
        WrappedKey wrapped = LocalKeyProvider.of("k1", TestKeys.key(1)).wrap(TestKeys.key(5));
        assertThatThrownBy(() -> LocalKeyProvider.of("k1", TestKeys.key(2)).unwrap(wrapped))
                .isInstanceOf(KeyProviderException.class).hasMessageContaining("does not authenticate")
                .satisfies(e -> assertThat(((KeyProviderException) e).isRetryable()).isFalse());
    }

    @Test
    void rotatedTo_wrapsUnderTheNewKey_andStillUnwrapsUnderTheOld() {
        LocalKeyProvider old = LocalKeyProvider.of("k1", TestKeys.key(1));
        WrappedKey underOld = old.wrap(TestKeys.key(5));
        LocalKeyProvider rotated = old.rotatedTo("k2", TestKeys.key(2));
        assertThat(rotated.currentKeyId()).isEqualTo("k2");
        assertThat(old.currentKeyId()).isEqualTo("k1");
        assertThat(rotated.unwrap(underOld)).isEqualTo(TestKeys.key(5));
        assertThat(rotated.wrap(TestKeys.key(5)).keyId()).isEqualTo("k2");
        assertThatThrownBy(() -> old.unwrap(rotated.wrap(TestKeys.key(5)))).isInstanceOf(KeyProviderException.class)
                .hasMessageContaining("unknown key id 'k2'");
        assertThatThrownBy(() -> rotated.rotatedTo("k1", TestKeys.key(3))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already a key");
    }

    @Test
    void wrappedKey_refusesEmptyParts() {
        assertThatThrownBy(() -> new WrappedKey("", new byte[1])).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("keyId must not be empty");
        assertThatThrownBy(() -> new WrappedKey("k", new byte[0])).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ciphertext must not be empty");
    }

    @Test
    void toString_namesTheKeyIdsOnly() {
        LocalKeyProvider keys = LocalKeyProvider.of("k1", TestKeys.key(1)).rotatedTo("k2", TestKeys.key(2));
        assertThat(keys.toString()).isEqualTo("LocalKeyProvider[current=k2, keys=[k1, k2]]");
    }
}
