package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.spi.KeyProviderException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What encryption means in the in-memory store: a data key per conversation life, from the provider, at the same moments. */
class InMemoryEncryptionTest {

    @Test
    void providerFailingWhileANewConversationsKeyIsWrapped_failsTheAppendRetryably_nothingWritten() {
        MongoEncryptionTest.FlakyProvider keys = new MongoEncryptionTest.FlakyProvider(TestKeys.provider());
        InMemoryConversationStore store = InMemoryConversationStore.builder().encryption(keys).build();
        keys.failWith.set(new KeyProviderException("KMS throttled", true, null));
        AppendRequest request = AppendRequest.builder("s", "en").appendId("a1").messages(Message.user("hi")).build();

        assertThatThrownBy(() -> store.appendMessages(request)).isInstanceOf(ConversationStoreUnavailableException.class)
                .hasMessageContaining("nothing was written");
        assertThat(store.findConversation("s")).isEmpty();

        keys.failWith.set(null);
        assertThat(store.appendMessages(request).duplicate()).isFalse();
        assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("hi");
    }

    @Test
    void providerRefusingToWrap_isAnEncryptionError() {
        MongoEncryptionTest.FlakyProvider keys = new MongoEncryptionTest.FlakyProvider(TestKeys.provider());
        InMemoryConversationStore store = InMemoryConversationStore.builder().encryption(keys).build();
        keys.failWith.set(new KeyProviderException("permission denied on key", false, null));
        assertThatThrownBy(() -> store.appendMessages("s", "en", List.of(Message.user("hi"))))
                .isInstanceOf(EncryptionException.class).hasMessageContaining("permission denied");
        assertThat(store.findConversation("s")).isEmpty();
    }

    @Test
    void oneKeyPerLife_drawnByTheFirstAppend_andANewOneAfterADelete() {
        MongoEncryptionTest.FlakyProvider keys = new MongoEncryptionTest.FlakyProvider(TestKeys.provider());
        InMemoryConversationStore store = InMemoryConversationStore.builder().encryption(keys).build();
        store.appendMessages("s", "en", List.of(Message.user("one")));
        store.appendMessages("s", "en", List.of(Message.user("two")));
        assertThat(keys.calls).hasValue(1);
        store.deleteConversation("s");
        assertThat(store.dataKeyWrappedUnder("s")).isEmpty();
        store.appendMessages("s", "en", List.of(Message.user("three")));
        assertThat(keys.calls).hasValue(2);
    }

    @Test
    void rotation_rewrapsEveryDataKey() {
        LocalKeyProvider k1 = LocalKeyProvider.of("k1", TestKeys.key(1));
        java.util.concurrent.atomic.AtomicReference<LocalKeyProvider> current = new java.util.concurrent.atomic.AtomicReference<>(k1);
        io.github.conversationstore.spi.KeyProvider switching = new io.github.conversationstore.spi.KeyProvider() {
            @Override
            public String currentKeyId() {
                return current.get().currentKeyId();
            }

            @Override
            public io.github.conversationstore.spi.WrappedKey wrap(byte[] dataKey) {
                return current.get().wrap(dataKey);
            }

            @Override
            public byte[] unwrap(io.github.conversationstore.spi.WrappedKey wrapped) {
                return current.get().unwrap(wrapped);
            }
        };
        InMemoryConversationStore store = InMemoryConversationStore.builder().encryption(switching).build();
        store.appendMessages("a", "en", List.of(Message.user("one")));
        store.appendMessages("b", "en", List.of(Message.user("two")));
        assertThat(store.dataKeyWrappedUnder("a")).contains("k1");
        assertThat(store.rewrapDataKeys()).isZero();
        current.set(k1.rotatedTo("k2", TestKeys.key(2)));
        assertThat(store.rewrapDataKeys()).isEqualTo(2);
        assertThat(store.rewrapDataKeys()).isZero();
        assertThat(store.dataKeyWrappedUnder("a")).contains("k2");
        assertThat(store.readMessages("a", 0, 10)).extracting(StoredMessage::text).containsExactly("one");
        InMemoryConversationStore plain = InMemoryConversationStore.create();
        assertThatThrownBy(plain::rewrapDataKeys).isInstanceOf(IllegalStateException.class);
    }
}
