package io.github.conversationstore.springai.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.springai.ConversationStoreChatMemory;
import io.github.conversationstore.springai.ConversationStoreChatMemoryRepository;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * Issue 27 item 6: cyclic metadata crashed with {@code StackOverflowError}, an {@code Object[]}
 * holding a null gave a bare {@code NullPointerException}, and errors said {@code sessionId} where
 * Spring AI's argument is {@code conversationId}.
 */
class CyclicMetadataOverflowsTheStackTest {
    private final InMemoryConversationStore store = InMemoryConversationStore.create();
    private final ChatMemory memory = ConversationStoreChatMemory.builder(store).build();

    @Test
    void cyclicMetadata_isRefusedNamingTheKey_nothingStored() {
        Map<String, Object> loop = new HashMap<>();
        List<Object> inner = new ArrayList<>();
        inner.add(loop);
        loop.put("inner", inner);
        UserMessage message = UserMessage.builder().text("hi").metadata(Map.of("trace", loop)).build();

        assertThatThrownBy(() -> memory.add("c", List.of(new UserMessage("first"), message)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trace").hasMessageContaining("cycl");
        assertThat(store.readMessages("c", 0, 10)).isEmpty();
    }

    @Test
    void objectArrayHoldingANull_isRefusedNamingTheKey() {
        UserMessage message = UserMessage.builder().text("hi")
                .metadata(Map.of("tags", new Object[] {"a", null})).build();

        assertThatThrownBy(() -> memory.add("c", List.of(message)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tags");
        assertThat(store.readMessages("c", 0, 10)).isEmpty();
    }

    @Test
    void badConversationIds_areNamedConversationId() {
        ConversationStoreChatMemoryRepository repository = ConversationStoreChatMemoryRepository.builder(store).build();
        assertThatThrownBy(() -> memory.add(" ", List.of(new UserMessage("hi"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("conversationId");
        assertThatThrownBy(() -> memory.get(""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("conversationId");
        assertThatThrownBy(() -> repository.saveAll("x".repeat(300), List.of(new UserMessage("hi"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("conversationId");
        assertThatThrownBy(() -> repository.deleteByConversationId(""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("conversationId");
    }
}
