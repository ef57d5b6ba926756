package io.github.conversationstore.langchain4j.issues;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.langchain4j.ConversationStoreChatMemory;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 27 item 4: a reply over 64 KiB or a tool result over 256 KiB made {@code add} throw after
 * the model answered, losing the answer and the held call.
 */
class AnswerAndHeldCallLostToALimitTest {
    private static final String LONG_REPLY = "word ".repeat(20_000);
    private static final String HUGE_RESULT = "x".repeat(300_000);

    @Test
    void overLimitReplyAndToolResult_areStoredCutToFit_theCallKept() {
        ConversationStore store = InMemoryConversationStore.create();
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c").build();
        memory.add(UserMessage.from("q"));
        memory.add(AiMessage.from(ToolExecutionRequest.builder().id("call_1").name("lookup").arguments("{}").build()));
        memory.add(ToolExecutionResultMessage.from("call_1", "lookup", HUGE_RESULT));
        memory.add(AiMessage.from(LONG_REPLY));

        List<StoredMessage> stored = store.readMessages("c", 0, 10);
        assertThat(stored).hasSize(4);
        assertThat(stored.get(1).message().toolCalls()).hasSize(1);
        assertThat(stored.get(2).message().toolResults().get(0).content()).startsWith("x".repeat(200_000)).endsWith("bytes kept]");
        assertThat(stored.get(3).text()).startsWith(LONG_REPLY.substring(0, 60_000)).endsWith(" of 100000 bytes kept]");
    }

    @Test
    void raisedLimits_keepTheReplyWhole() {
        ConversationStore store = InMemoryConversationStore.builder().maxTextBytes(200_000).build();
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c")
                .maxTextBytes(200_000).build();
        memory.add(AiMessage.from(LONG_REPLY));
        assertThat(store.readMessages("c", 0, 1).get(0).text()).isEqualTo(LONG_REPLY);
    }
}
