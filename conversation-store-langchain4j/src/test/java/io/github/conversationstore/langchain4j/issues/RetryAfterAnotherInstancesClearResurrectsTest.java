package io.github.conversationstore.langchain4j.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.UserMessage;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreException;
import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.langchain4j.ConversationStoreChatMemory;
import io.github.conversationstore.testing.ForwardingConversationStore;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Review 27: an add whose reply was lost was applied; another instance then clears the
 * conversation; the caller retries the same message object. Its append id is refused as erased and
 * {@code Appends.appendAnew} re-sends it under a new id: the erased message is back. DESIGN 3
 * "Erasure is final ... whatever was retried, lost or delayed".
 */
class RetryAfterAnotherInstancesClearResurrectsTest {
    static final class LostAppendReply extends ForwardingConversationStore {
        final AtomicInteger lost = new AtomicInteger();

        LostAppendReply(ConversationStore delegate) {
            super(delegate);
        }

        @Override
        public AppendResult appendMessages(AppendRequest request) {
            AppendResult result = delegate.appendMessages(request);
            if (lost.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new ConversationStoreUnavailableException("reply lost (injected)", null);
            }
            return result;
        }
    }

    @Test
    void retryOfAnAddAppliedBeforeAnotherInstancesClear_doesNotResurrectIt() {
        LostAppendReply store = new LostAppendReply(InMemoryConversationStore.create());
        ConversationStoreChatMemory a = ConversationStoreChatMemory.builder().store(store).id("c").build();
        ConversationStoreChatMemory b = ConversationStoreChatMemory.builder().store(store).id("c").build();
        UserMessage secret = UserMessage.from("my card number is 4111");
        store.lost.set(1);
        assertThatThrownBy(() -> a.add(secret)).isInstanceOf(ConversationStoreException.class);

        b.clear();

        try {
            a.add(secret);
        } catch (ConversationStoreException refused) {
            // refusing the retry is also acceptable
        }
        assertThat(store.readMessages("c", 0, 10)).extracting(StoredMessage::text).isEmpty();
    }
}
