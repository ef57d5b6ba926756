package io.github.conversationstore.springai.issues;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.springai.ConversationStoreChatMemory;
import io.github.conversationstore.springai.ConversationStoreChatMemoryRepository;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.memory.InMemoryChatMemoryRepository;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * Issue 27 item 2: after a system-prompt change the repository handed the model every system
 * message of the window ({@code [sys v1, q1, a1, sys v2, q2]}); Spring AI's own repository gives
 * {@code [q1, a1, sys v2, q2]}.
 */
class EverySystemPromptHandedOutTest {

    private static List<String> turns(ChatMemory memory) {
        memory.add("c", List.of(new SystemMessage("sys v1"), new UserMessage("q1")));
        memory.add("c", List.of(new AssistantMessage("a1")));
        memory.add("c", List.of(new SystemMessage("sys v2"), new UserMessage("q2")));
        return memory.get("c").stream().map(Message::getText).toList();
    }

    private static ChatMemory window(ChatMemoryRepository repository) {
        return MessageWindowChatMemory.builder().chatMemoryRepository(repository).maxMessages(40).build();
    }

    @Test
    void repository_afterASystemPromptChange_handsOutOnlyTheCurrentOne_asSpringAisOwn() {
        ConversationStoreChatMemoryRepository ours =
                ConversationStoreChatMemoryRepository.builder(InMemoryConversationStore.create()).build();

        List<String> own = turns(window(new InMemoryChatMemoryRepository()));

        assertThat(own).containsExactly("q1", "a1", "sys v2", "q2");
        assertThat(turns(window(ours))).isEqualTo(own);
        assertThat(ours.findByConversationId("c")).extracting(Message::getText).containsExactly("q1", "a1", "sys v2", "q2");
    }

    @Test
    void chatMemory_afterASystemPromptChange_handsOutOnlyTheCurrentOne() {
        assertThat(turns(ConversationStoreChatMemory.builder(InMemoryConversationStore.create()).build()))
                .containsExactly("q1", "a1", "sys v2", "q2");
    }
}
