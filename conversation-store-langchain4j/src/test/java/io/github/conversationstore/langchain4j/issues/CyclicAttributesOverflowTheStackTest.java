package io.github.conversationstore.langchain4j.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.UserMessage;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.langchain4j.ConversationStoreChatMemory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue 27 item 6: cyclic attributes crashed with {@code StackOverflowError}. */
class CyclicAttributesOverflowTheStackTest {

    @Test
    void cyclicAttribute_isRefusedNamingTheKey_nothingStored() {
        InMemoryConversationStore store = InMemoryConversationStore.create();
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c").build();
        Map<String, Object> loop = new HashMap<>();
        List<Object> inner = new ArrayList<>();
        inner.add(loop);
        loop.put("inner", inner);
        UserMessage message = UserMessage.builder().addContent(dev.langchain4j.data.message.TextContent.from("hi"))
                .attributes(Map.of("trace", loop)).build();

        assertThatThrownBy(() -> memory.add(message))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trace").hasMessageContaining("cycl");
        assertThat(store.readMessages("c", 0, 10)).isEmpty();
    }
}
