package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.springai.testing.LostReplyStore;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * Review 27 attack (held): an answer stored cut to fit, saved again by another instance as new
 * objects of the same content, or retried after a lost reply, is recognised as stored.
 */
class CutAnswerReSavedOnceTest {
    private static final String LONG_REPLY = "word ".repeat(20_000); // 100,000 bytes
    private final LostReplyStore store = new LostReplyStore(InMemoryConversationStore.create());

    private List<String> texts() {
        return store.readMessages("c", 0, 100).stream().map(m -> m.text().length() > 20 ? "LONG" : m.text()).toList();
    }

    @Test
    void cutAnswer_reSavedByAnotherInstanceAsNewObjects_isNotStoredTwice() {
        ConversationStoreChatMemoryRepository a = ConversationStoreChatMemoryRepository.builder(store).build();
        ConversationStoreChatMemoryRepository b = ConversationStoreChatMemoryRepository.builder(store).build();
        a.saveAll("c", List.of(new UserMessage("q"), new AssistantMessage(LONG_REPLY)));

        List<Message> again = List.of(new UserMessage("q"), new AssistantMessage(LONG_REPLY), new UserMessage("q2"));
        b.saveAll("c", again);

        assertThat(texts()).containsExactly("q", "LONG", "q2");
    }

    @Test
    void cutAnswer_savedWithALostReply_thenRetried_isStoredOnce() {
        ConversationStoreChatMemoryRepository a = ConversationStoreChatMemoryRepository.builder(store).build();
        List<Message> history = List.of(new UserMessage("q"), new AssistantMessage(LONG_REPLY));
        store.lostAppendReplies.set(1);
        try {
            a.saveAll("c", history);
        } catch (RuntimeException lost) {
            // expected
        }
        a.saveAll("c", history);

        assertThat(texts()).containsExactly("q", "LONG");
    }

    @Test
    void cutAnswer_savedWithALostReply_afterADelete_thenRetried_isStoredOnce() {
        ConversationStoreChatMemoryRepository a = ConversationStoreChatMemoryRepository.builder(store).build();
        a.saveAll("c", List.of(new UserMessage("q"), new AssistantMessage(LONG_REPLY)));
        a.deleteByConversationId("c");
        List<Message> history = List.of(new UserMessage("q"), new AssistantMessage(LONG_REPLY));
        store.lostAppendReplies.set(1);
        try {
            a.saveAll("c", history); // refused as erased, re-sent anew; that reply is lost
        } catch (RuntimeException lost) {
            // expected
        }
        a.saveAll("c", history);

        assertThat(texts()).containsExactly("q", "LONG");
    }
}
