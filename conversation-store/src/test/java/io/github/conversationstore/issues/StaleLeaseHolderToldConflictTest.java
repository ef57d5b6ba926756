package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.LeaseLostException;
import io.github.conversationstore.Message;
import io.github.conversationstore.StoredMessage;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 20, item 3: when A's step append was held past its lease and B resumed and completed the
 * same turn (the same append id, other content), A got {@code AppendConflictException} (not
 * retryable: "used before with other text") instead of {@link LeaseLostException}: the content
 * comparison ran before the fence check.
 */
class StaleLeaseHolderToldConflictTest {

    static Stream<Named<Supplier<ConversationStore>>> stores() {
        return BothStores.both();
    }

    @ParameterizedTest
    @MethodSource("stores")
    void staleHolderRepeatingAnAppendIdStoredWithOtherContent_getsLeaseLost(Supplier<ConversationStore> factory)
            throws Exception {
        try (ConversationStore store = factory.get()) {
            assertThat(store.tryAcquireLease("s", "en", "A", Duration.ofMillis(50))).isTrue();
            Thread.sleep(120); // A's append is held past its lease
            assertThat(store.tryAcquireLease("s", "en", "B", Duration.ofMinutes(1))).isTrue();
            store.appendMessages(AppendRequest.builder("s", "en").appendId("turn-1/step-1").leaseHolder("B")
                    .messages(Message.assistant("B's reply")).build());

            assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s", "en").appendId("turn-1/step-1")
                    .leaseHolder("A").messages(Message.assistant("A's reply")).build()))
                    .isInstanceOf(LeaseLostException.class)
                    .hasMessageContaining("A");
            assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s", "en").appendId("turn-1/step-1")
                    .leaseHolder("A").messages(Message.assistant("B's reply")).build()))
                    .as("the same content: still the fence first")
                    .isInstanceOf(LeaseLostException.class);
            assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("B's reply");
        }
    }
}
