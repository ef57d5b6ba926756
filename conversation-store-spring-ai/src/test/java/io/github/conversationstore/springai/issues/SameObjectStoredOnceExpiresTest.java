package io.github.conversationstore.springai.issues;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.springai.ConversationStoreChatMemory;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * Issue 27 item 8: re-adding a message object re-sent its first batch, which the store forgets
 * after its dedup window, so 100 turns of {@code add([the same SystemMessage constant, new
 * question])} with a window of 64 stored 103 messages instead of 101.
 */
class SameObjectStoredOnceExpiresTest {
    private static final SystemMessage RULES = new SystemMessage("You are a tutor.");

    @Test
    void hundredTurnsWithTheSameSystemMessageConstant_storeItOnce() {
        ConversationStore store = InMemoryConversationStore.builder().appendIdWindow(64).build();
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder(store).build();

        for (int turn = 0; turn < 100; turn++) {
            memory.add("c", List.of(RULES, new UserMessage("question " + turn)));
        }

        assertThat(store.readMessages("c", 0, 1_000)).hasSize(101);
    }
}
