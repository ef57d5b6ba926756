package io.github.conversationstore.springai.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.ConversationStoreException;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.springai.ConversationStoreChatMemory;
import io.github.conversationstore.springai.testing.LostReplyStore;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * Review 27: an add whose reply was lost was applied; another instance then clears the
 * conversation; the first instance's caller retries with the same message objects (as the javadoc
 * says is safe). The retry's append id is refused as erased, and {@code Appends.appendAnew} re-sends
 * it under a new id: the erased message is back in the conversation. DESIGN 3 "Erasure is final:
 * a deleted session never shows an old message again, whatever was retried, lost or delayed".
 */
class RetryAfterAnotherInstancesClearResurrectsTest {
    private final LostReplyStore store = new LostReplyStore(InMemoryConversationStore.create());

    private List<String> texts(String id) {
        return store.readMessages(id, 0, 100).stream().map(StoredMessage::text).toList();
    }

    @Test
    void retryOfAnAddAppliedBeforeAnotherInstancesClear_doesNotResurrectIt() {
        ConversationStoreChatMemory a = ConversationStoreChatMemory.builder(store).build();
        ConversationStoreChatMemory b = ConversationStoreChatMemory.builder(store).build();
        UserMessage secret = new UserMessage("my card number is 4111");
        store.lostAppendReplies.set(1);
        assertThatThrownBy(() -> a.add("c", List.of(secret))).isInstanceOf(ConversationStoreException.class);

        b.clear("c"); // the user erases the conversation (another instance serves the request)

        try {
            a.add("c", List.of(secret)); // the first request's retry, with the same object
        } catch (ConversationStoreException refused) {
            // refusing the retry is also acceptable
        }
        assertThat(texts("c")).isEmpty();
    }
}
