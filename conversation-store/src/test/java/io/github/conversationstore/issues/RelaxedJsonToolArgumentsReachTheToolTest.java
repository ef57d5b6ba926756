package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.TurnResult;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolInvocation;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 20, item 8: tool arguments that are not strict JSON passed as JSON objects (the driver's
 * relaxed JSON reader accepted them): 7 of 7 relaxed strings reached the tool, and
 * {@code {"day":"Mon"} {"day":"Fri"}} was booked as Monday only by a tool reading with Jackson.
 * Arguments are parsed as strict JSON (RFC 8259), one object, nothing after it, no name twice;
 * otherwise the model gets an error result and the tool is not run.
 */
class RelaxedJsonToolArgumentsReachTheToolTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "{day:'Mon'}",
        "{\"day\":'Mon'}",
        "{\"d\":ObjectId(\"5f1d7f0e9d3b2a0001a1b2c3\")}",
        "{\"day\":\"Mon\"} {\"day\":\"Fri\"}",
        "{\"day\":\"Mon\"}x",
        "{\"day\":\"Mon\",}",
        "{\"n\":NaN}",
        "{\"n\":01}",
        "{\"d\":new Date(0)}",
        "{\"day\":\"Mon\"} // a comment",
        "{\"day\":\"Mon\",\"day\":\"Fri\"}",
        "{\"s\":\"tab\tinside\"}"
    })
    void respond_toolArgumentsNotStrictJson_errorResultAndTheToolNotRun(String arguments) {
        List<ToolInvocation> runs = new CopyOnWriteArrayList<>();
        Tool book = Tool.of(new ToolSpec("book", "Books a day.", "{\"type\":\"object\"}"), invocation -> {
            runs.add(invocation);
            return ToolOutput.text("booked");
        });
        ReplyProvider model = request -> request.steps().isEmpty()
                ? new Reply(List.of(new Part.ToolCall("c1", "book", arguments)), Map.of(), TokenUsage.UNKNOWN, Map.of())
                : Reply.of("done");
        try (ConversationStore store = InMemoryConversationStore.create();
                TurnService turns = TurnService.builder(store).provider(model).tools(book).build()) {
            TurnResult result = turns.respond("s", "en", "book it", "t1");

            assertThat(runs).as("runs of the tool with arguments %s", arguments).isEmpty();
            Part.ToolResult stored = result.steps().get(1).message().toolResults().get(0);
            assertThat(stored.error()).isTrue();
            assertThat(stored.content()).contains("not a JSON object");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{}",
        " {\"day\" : \"Mon\", \"n\": -1.5e3, \"ok\": true, \"none\": null, \"list\": [1, [2], {\"a\": {}}]}\n",
        "{\"s\":\"\\u00e9\\n\\\"quoted\\\" \\/ \\\\\"}"
    })
    void respond_strictJsonObjects_reachTheTool(String arguments) {
        List<ToolInvocation> runs = new CopyOnWriteArrayList<>();
        Tool book = Tool.of(new ToolSpec("book", "Books a day.", "{\"type\":\"object\"}"), invocation -> {
            runs.add(invocation);
            return ToolOutput.text("booked");
        });
        ReplyProvider model = request -> request.steps().isEmpty()
                ? new Reply(List.of(new Part.ToolCall("c1", "book", arguments)), Map.of(), TokenUsage.UNKNOWN, Map.of())
                : Reply.of("done");
        try (ConversationStore store = InMemoryConversationStore.create();
                TurnService turns = TurnService.builder(store).provider(model).tools(book).build()) {
            turns.respond("s", "en", "book it", "t1");

            assertThat(runs).hasSize(1);
        }
    }
}
