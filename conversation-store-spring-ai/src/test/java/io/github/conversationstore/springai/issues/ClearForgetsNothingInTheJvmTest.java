package io.github.conversationstore.springai.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.ConversationStoreException;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.springai.ConversationStoreChatMemory;
import io.github.conversationstore.springai.ConversationStoreChatMemoryRepository;
import io.github.conversationstore.springai.testing.LostReplyStore;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.InMemoryChatMemoryRepository;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * Issue 27 item 1: after {@code clear} / {@code deleteByConversationId}, messages read before the
 * clear were skipped when added again (so re-adding the history with one message edited stored only
 * the edited one), and a message object sent before the clear re-sent its pre-clear batch.
 */
class ClearForgetsNothingInTheJvmTest {
    private final LostReplyStore store = new LostReplyStore(InMemoryConversationStore.create());

    private List<String> texts(String id) {
        return store.readMessages(id, 0, 100).stream().map(StoredMessage::text).toList();
    }

    @Test
    void chatMemory_clearThenReAddTheHistoryWithOneEdited_storesAllOfIt() {
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder(store).build();
        memory.add("c", List.of(new UserMessage("q1"), new AssistantMessage("a1"), new UserMessage("q2")));
        List<Message> history = new ArrayList<>(memory.get("c"));

        memory.clear("c");
        history.set(1, new AssistantMessage("a1, edited"));
        memory.add("c", history);

        assertThat(texts("c")).containsExactly("q1", "a1, edited", "q2");
    }

    @Test
    void repository_deleteThenSaveTheHistoryWithOneEdited_storesAllOfIt_asSpringAisOwn() {
        ConversationStoreChatMemoryRepository repository = ConversationStoreChatMemoryRepository.builder(store).build();
        repository.saveAll("c", List.of(new UserMessage("q1"), new AssistantMessage("a1"), new UserMessage("q2")));
        List<Message> history = new ArrayList<>(repository.findByConversationId("c"));

        repository.deleteByConversationId("c");
        history.set(1, new AssistantMessage("a1, edited"));
        repository.saveAll("c", history);

        InMemoryChatMemoryRepository own = new InMemoryChatMemoryRepository();
        own.saveAll("c", history);
        assertThat(texts("c")).containsExactlyElementsOf(own.findByConversationId("c").stream().map(Message::getText).toList())
                .containsExactly("q1", "a1, edited", "q2");
    }

    @Test
    void chatMemory_aMessageSentBeforeTheClear_neverResendsItsPreClearBatch() {
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder(store).build();
        UserMessage old = new UserMessage("old question");
        UserMessage kept = new UserMessage("kept question");
        store.lostAppendReplies.set(1);
        assertThatThrownBy(() -> memory.add("c", List.of(old, kept))).isInstanceOf(ConversationStoreException.class);

        memory.clear("c");
        memory.add("c", List.of(kept));

        assertThat(texts("c")).containsExactly("kept question");
    }

    @Test
    void chatMemory_clearWhoseReplyIsLost_stillForgets() {
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder(store).build();
        memory.add("c", List.of(new UserMessage("q1")));
        List<Message> history = memory.get("c");
        store.lostDeleteReplies.set(1);
        assertThatThrownBy(() -> memory.clear("c")).isInstanceOf(ConversationStoreException.class);

        memory.add("c", history);

        assertThat(texts("c")).containsExactly("q1");
    }
}
