package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.ScriptedReplyProvider;
import io.github.conversationstore.TurnService;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, item 7: {@code respond} after {@code close()} stored the user message, then threw the
 * JDK's {@code RejectedExecutionException}. It is refused with {@link IllegalStateException} before
 * anything is stored (the lease included).
 */
class RespondAfterCloseStoresTheUserMessageTest {

    @Test
    void respond_afterClose_refusedWithIllegalStateAndNothingStored() {
        try (ConversationStore store = InMemoryConversationStore.create()) {
            TurnService turns = TurnService.builder(store).provider(ScriptedReplyProvider.echo()).build();
            turns.close();

            assertThatThrownBy(() -> turns.respond("s", "en", "hello", "t1"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");

            assertThat(store.readMessages("s", 0, 10)).isEmpty();
            assertThat(store.tryAcquireLease("s", "en", "someone else", java.time.Duration.ofSeconds(1))).isTrue();
        }
    }
}
