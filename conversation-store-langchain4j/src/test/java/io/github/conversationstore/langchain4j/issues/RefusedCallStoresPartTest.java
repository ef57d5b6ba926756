package io.github.conversationstore.langchain4j.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.langchain4j.ConversationStoreChatMemory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 27 item 5: {@code add([user, new system, refused user])} threw but stored
 * {@code [part one, new rules]}; nothing of a refused call must be stored.
 */
class RefusedCallStoresPartTest {

    @Test
    void callWithOneRefusedMessage_storesNothing() {
        InMemoryConversationStore store = InMemoryConversationStore.create();
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c").build();
        UserMessage refused = UserMessage.builder().addContent(TextContent.from("part two"))
                .attributes(Map.of("handle", new Object())).build();
        List<ChatMessage> call = List.of(UserMessage.from("part one"), SystemMessage.from("new rules"), refused);

        assertThatThrownBy(() -> memory.add(call)).isInstanceOf(IllegalArgumentException.class);

        assertThat(store.readMessages("c", 0, 10)).isEmpty();
    }
}
