package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import java.net.URI;
import java.time.Duration;
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

    @Test
    void toolUsingTurn() {
        java.util.List<String> bookings = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.github.conversationstore.spi.ReplyProvider model = request -> request.steps().isEmpty()
                ? io.github.conversationstore.spi.Reply.of(Part.text("Booking it."),
                        new Part.ToolCall("call-1", "book_lesson", "{\"day\":\"monday\"}"))
                : io.github.conversationstore.spi.Reply.of("Booked: " + request.steps().get(1).message().toolResults().get(0).content());
        try (ConversationStore store = InMemoryConversationStore.create()) {
            // --- tools ---
            Tool bookLesson = Tool.of(
                    new ToolSpec("book_lesson", "Books a lesson with the tutor on a weekday.",
                            "{\"type\":\"object\",\"properties\":{\"day\":{\"type\":\"string\"}},\"required\":[\"day\"]}"),
                    call -> {
                        // at least once per call: pass the key on, so that a call run again books once
                        String booking = bookings.add(call.idempotencyKey()) ? "lesson-" + call.idempotencyKey() : "";
                        return ToolOutput.json("{\"booking\":\"" + booking + "\"}");
                    });
            try (TurnService turns = TurnService.builder(store)
                    .provider(model)                     // asks for tools, then answers
                    .tools(bookLesson)
                    .toolTimeout(Duration.ofSeconds(10)) // per run; retried with the same key
                    .maxSteps(8)                         // provider calls per turn
                    .build()) {
                // stored: the user's message, the call (turnId:s1), its result (turnId:s1:r0), the reply;
                // after a crash, respond(..., "turn-9") again resumes where the turn stopped
                TurnResult turn = turns.respond("session-42", "es", "Book me a lesson on Monday", "turn-9");
                List<StoredMessage> steps = turn.steps();
            }
            // --- end tools ---
            assertThat(store.readMessages("session-42", 0, 10)).extracting(m -> m.message().id())
                    .containsExactly("turn-9:user", "turn-9:s1", "turn-9:s1:r0", "turn-9:reply");
            assertThat(bookings).containsExactly("turn-9:s1:call-1");
        }
    }
}
