package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.InMemoryConversationStore;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;

/** Review 27 attack (held): a system prompt changed v1 -> v2 -> v1 hands out v1 only. */
class SystemPromptBackToV1HandedOutTest {

    @Test
    void promptChangedBackToV1_windowHoldsOnlyV1() {
        ChatMemory memory = MessageWindowChatMemory.builder()
                .chatMemoryRepository(ConversationStoreChatMemoryRepository.builder(InMemoryConversationStore.create()).build())
                .build();
        memory.add("c", List.of(new SystemMessage("v1"), new UserMessage("q1")));
        memory.add("c", List.of(new SystemMessage("v2"), new UserMessage("q2")));
        memory.add("c", List.of(new SystemMessage("v1"), new UserMessage("q3")));

        List<Message> window = memory.get("c");
        assertThat(window.stream().filter(SystemMessage.class::isInstance).map(Message::getText).toList())
                .containsExactly("v1");
        assertThat(window.stream().filter(UserMessage.class::isInstance).map(Message::getText).toList())
                .containsExactly("q1", "q2", "q3");
    }
}
