package io.github.conversationstore.langchain4j.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
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
 * Issue 27 item 9: a {@code clear} whose reply was lost kept the held tool calls, so a late result
 * brought the old call back after the clear.
 */
class ClearWithALostReplyKeepsHeldCallsTest {
    static final class LostDeleteReply extends ForwardingConversationStore {
        final AtomicInteger lost = new AtomicInteger();

        LostDeleteReply(ConversationStore delegate) {
            super(delegate);
        }

        @Override
        public long deleteConversation(String sessionId) {
            long deleted = delegate.deleteConversation(sessionId);
            if (lost.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new ConversationStoreUnavailableException("reply lost (injected)", null);
            }
            return deleted;
        }
    }

    @Test
    void clearWhoseReplyIsLost_stillDropsTheHeldCall() {
        LostDeleteReply store = new LostDeleteReply(InMemoryConversationStore.create());
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c").build();
        memory.add(UserMessage.from("weather?"));
        memory.add(AiMessage.from(ToolExecutionRequest.builder().id("call_1").name("weather").arguments("{}").build()));

        store.lost.set(1);
        assertThatThrownBy(memory::clear).isInstanceOf(ConversationStoreException.class);
        memory.add(ToolExecutionResultMessage.from("call_1", "weather", "sunny"));

        // the late result is stored alone (windows leave it out); the old call never comes back
        assertThat(store.readMessages("c", 0, 10)).extracting(StoredMessage::text).doesNotContain("weather?");
        assertThat(store.readMessages("c", 0, 10)).allSatisfy(m -> assertThat(m.message().toolCalls()).isEmpty());
        assertThat(memory.messages()).isEmpty();
    }
}
