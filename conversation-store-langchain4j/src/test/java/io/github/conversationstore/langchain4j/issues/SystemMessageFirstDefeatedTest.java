package io.github.conversationstore.langchain4j.issues;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import dev.langchain4j.store.memory.chat.InMemoryChatMemoryStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.langchain4j.ConversationStoreChatMemoryStore;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 27 item 3: with {@code alwaysKeepSystemMessageFirst(true)} a changed prompt was appended at
 * the end and read back there ({@code [q1, a1, sys v2, q2]}); LangChain4j's own store gives
 * {@code [sys v2, q1, a1, q2]}.
 */
class SystemMessageFirstDefeatedTest {

    private static List<String> turns(ChatMemoryStore store, boolean first) {
        ChatMemory memory = MessageWindowChatMemory.builder().id("c").maxMessages(20)
                .alwaysKeepSystemMessageFirst(first).chatMemoryStore(store).build();
        memory.add(SystemMessage.from("sys v1"));
        memory.add(UserMessage.from("q1"));
        memory.add(AiMessage.from("a1"));
        memory.add(SystemMessage.from("sys v2"));
        memory.add(UserMessage.from("q2"));
        return memory.messages().stream().map(SystemMessageFirstDefeatedTest::text).toList();
    }

    private static String text(ChatMessage message) {
        if (message instanceof SystemMessage s) {
            return s.text();
        }
        if (message instanceof UserMessage u) {
            return u.singleText();
        }
        return ((AiMessage) message).text();
    }

    private static ConversationStoreChatMemoryStore ours() {
        return ConversationStoreChatMemoryStore.builder().store(InMemoryConversationStore.create()).build();
    }

    @Test
    void alwaysKeepSystemMessageFirst_theChangedPromptIsReadBackFirst_asLangChain4jsOwnStore() {
        List<String> own = turns(new InMemoryChatMemoryStore(), true);

        assertThat(own).containsExactly("sys v2", "q1", "a1", "q2");
        assertThat(turns(ours(), true)).isEqualTo(own);
    }

    @Test
    void default_theChangedPromptStaysWhereItCame_asLangChain4jsOwnStore() {
        assertThat(turns(ours(), false)).isEqualTo(turns(new InMemoryChatMemoryStore(), false))
                .containsExactly("q1", "a1", "sys v2", "q2");
    }
}
