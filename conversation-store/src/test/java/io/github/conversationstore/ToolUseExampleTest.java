package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's "Tool calls, parts and metadata" example, compiled and run. */
class ToolUseExampleTest {

    @Test
    void toolCallsPartsAndMetadata() {
        try (ConversationStore store = InMemoryConversationStore.create()) {
            // --- parts ---
            // An assistant message that calls a tool, and the tool's answer: one atomic append.
            Message call = Message.of(Role.ASSISTANT,
                    Part.text("Let me conjugate that."),
                    new Part.ToolCall("call-1", "conjugate", "{\"verb\":\"ir\",\"tense\":\"present\"}"))
                    .withMetadata(Message.MODEL, "claude-sonnet-4-5")
                    .withMetadata(Message.USAGE, java.util.Map.of("inputTokens", 812, "outputTokens", 40));
            Message result = Message.tool(Part.ToolResult.json("call-1", "conjugate", "{\"yo\":\"voy\",\"tú\":\"vas\"}"));
            store.appendMessages("session-42", "es", List.of(
                    Message.of(Role.USER, Part.text("How do I say 'I go'? Here is my homework:"),
                            Part.Media.of("image/png", URI.create("https://example.com/homework.png"))),
                    call, result));

            // A window for your own prompt: never a call without its result, or a result without its call.
            List<StoredMessage> window = store.promptWindow("session-42", 20);
            // --- end parts ---

            assertThat(window).extracting(StoredMessage::message).containsExactly(
                    store.readMessages("session-42", 0, 3).get(0).message(), call, result);
            assertThat(store.promptWindow("session-42", 1)).isEmpty();
            assertThat(window.get(1).message().metadata().get(Message.USAGE))
                    .isEqualTo(java.util.Map.of("inputTokens", 812, "outputTokens", 40));
        }
    }
}
