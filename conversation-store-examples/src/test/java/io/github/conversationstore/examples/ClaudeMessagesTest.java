package io.github.conversationstore.examples;

import static io.github.conversationstore.examples.MessagesApiStub.message;
import static io.github.conversationstore.examples.MessagesApiStub.toolReply;
import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.core.ObjectMappers;
import com.anthropic.models.messages.MessageParam;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyRequest;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Stored parts to Claude's content blocks and back, through the SDK's own types and a local stub of the API. */
class ClaudeMessagesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A conversation with every kind of part, as a store returns it for a window. */
    private static List<Message> toolConversation() {
        return List.of(
                Message.system("You are a tutor."),
                Message.of(Role.USER, Part.text("Conjugate ir, see the table:"),
                        Part.Media.inline("image/png", new byte[] {1, 2, 3}),
                        Part.Media.of("image/jpeg", URI.create("https://example.com/verbs.jpg")),
                        new Part.Media("application/pdf", URI.create("https://example.com/grammar.pdf"), null, "Grammar")),
                Message.of(Role.ASSISTANT, Part.Reasoning.of("They want ir.", "sig/+=="),
                        new Part.Reasoning("", "ENCRYPTED", true), Part.text("Looking it up."),
                        new Part.ToolCall("toolu_1", "conjugate", "{\"verb\":\"ir\"}"),
                        new Part.ToolCall("toolu_2", "lookup", "not json")),
                Message.tool(Part.ToolResult.json("toolu_1", "conjugate", "{\"yo\":\"voy\"}")),
                Message.tool(Part.ToolResult.error("toolu_2", "lookup", "arguments were not JSON")),
                Message.of(Role.ASSISTANT, Part.text("Yo voy.")),
                Message.user("¿Y ser?"));
    }

    private static JsonNode json(List<MessageParam> params) throws Exception {
        return JSON.readTree(ObjectMappers.jsonMapper().writeValueAsString(params));
    }

    @Test
    void toParams_everyPartBecomesItsBlock_toolResultsInTheUserTurnRightAfterTheirCalls() throws Exception {
        JsonNode turns = json(ClaudeMessages.toParams(toolConversation()));

        assertThat(turns).hasSize(5);
        assertThat(turns).extracting(t -> t.get("role").asText()).containsExactly("user", "assistant", "user", "assistant", "user");
        JsonNode user = turns.get(0).get("content");
        assertThat(user).extracting(b -> b.get("type").asText()).containsExactly("text", "image", "image", "document");
        assertThat(user.get(1).get("source").get("type").asText()).isEqualTo("base64");
        assertThat(user.get(1).get("source").get("data").asText()).isEqualTo("AQID");
        assertThat(user.get(1).get("source").get("media_type").asText()).isEqualTo("image/png");
        assertThat(user.get(2).get("source").get("url").asText()).isEqualTo("https://example.com/verbs.jpg");
        assertThat(user.get(3).get("title").asText()).isEqualTo("Grammar");
        JsonNode assistant = turns.get(1).get("content");
        assertThat(assistant).extracting(b -> b.get("type").asText())
                .containsExactly("thinking", "redacted_thinking", "text", "tool_use", "tool_use");
        assertThat(assistant.get(0).get("signature").asText()).isEqualTo("sig/+==");
        assertThat(assistant.get(1).get("data").asText()).isEqualTo("ENCRYPTED");
        assertThat(assistant.get(3).get("input").get("verb").asText()).isEqualTo("ir");
        assertThat(assistant.get(4).get("input").get("arguments").asText()).isEqualTo("not json");
        JsonNode results = turns.get(2).get("content");
        assertThat(results).extracting(b -> b.get("tool_use_id").asText()).containsExactly("toolu_1", "toolu_2");
        assertThat(results.get(1).get("is_error").asBoolean()).isTrue();
        assertThat(results.get(0).get("content").asText()).isEqualTo("{\"yo\":\"voy\"}");
    }

    @Test
    void toParts_ofClaudesBlocks_goBackAsTheSameBlocks() throws Exception {
        String content = "[{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"c2ln\"},"
                + "{\"type\":\"redacted_thinking\",\"data\":\"ENC\"},"
                + "{\"type\":\"text\",\"text\":\"Let me check.\"},"
                + "{\"type\":\"tool_use\",\"id\":\"toolu_9\",\"name\":\"conjugate\",\"input\":{\"verb\":\"ser\",\"n\":[1,2.5]}},"
                + "{\"type\":\"brand_new_block\",\"payload\":{\"x\":1}}]";
        com.anthropic.models.messages.Message response = ObjectMappers.jsonMapper()
                .readValue(message("tool_use", content), com.anthropic.models.messages.Message.class);

        List<Part> parts = ClaudeMessages.toParts(response.content());
        Message stored = Message.of(Role.ASSISTANT, parts.toArray(Part[]::new));
        JsonNode sentBack = json(ClaudeMessages.toParams(List.of(Message.user("q"), stored))).get(1).get("content");

        assertThat(parts.get(0)).isEqualTo(Part.Reasoning.of("hmm", "c2ln"));
        assertThat(parts.get(3)).isEqualTo(new Part.ToolCall("toolu_9", "conjugate", "{\"verb\":\"ser\",\"n\":[1,2.5]}"));
        assertThat(parts.get(4).type()).isEqualTo("claude.brand_new_block");
        assertThat(sentBack).isEqualTo(JSON.readTree(content));
    }

    @Test
    void provider_sendsAStoredToolConversationAsItIsAndStoresModelAndStopReason() throws Exception {
        try (MessagesApiStub api = new MessagesApiStub();
                ConversationStore store = InMemoryConversationStore.create();
                ClaudeReplyProvider claude = ClaudeReplyProvider.builder().apiKey("test-key").baseUrl(api.baseUrl())
                        .maxRetries(0).timeout(Duration.ofSeconds(5)).model("claude-test").build()) {
            List<Message> conversation = toolConversation();
            store.appendMessages("s1", "es", conversation.subList(0, conversation.size() - 1));
            // a later turn failed after storing a call: the window leaves it out
            store.appendMessages("s1", "es", List.of(Message.of(Role.ASSISTANT, new Part.ToolCall("toolu_3", "conjugate", "{}"))));
            api.then(200, toolReply("Yo soy.", "", "I am."));

            List<StoredMessage> window = store.promptWindow("s1", 20);
            Reply reply = claude.reply(new ReplyRequest("s1", "es", window, conversation.get(conversation.size() - 1),
                    ReplyRequest.CONVERSATION, "turn-2"));

            JsonNode messages = api.requests().get(0).get("messages");
            assertThat(messages).extracting(t -> t.get("role").asText())
                    .containsExactly("user", "assistant", "user", "assistant", "user");
            assertThat(messages.toString()).doesNotContain("toolu_3").contains("toolu_1", "toolu_2");
            assertThat(reply.metadata()).containsEntry(Message.MODEL, "claude-sonnet-4-5")
                    .containsEntry(Message.FINISH_REASON, "tool_use");
            assertThat(Map.copyOf(reply.metadata())).hasSize(2);
        }
    }

    @Test
    void toolTurn_throughTheTurnService_sendsToolDefinitionsAndTheStoredCallAndResultBackToClaude() throws Exception {
        try (MessagesApiStub api = new MessagesApiStub();
                ConversationStore store = InMemoryConversationStore.create();
                ClaudeReplyProvider claude = ClaudeReplyProvider.builder().apiKey("test-key").baseUrl(api.baseUrl())
                        .maxRetries(0).timeout(Duration.ofSeconds(5)).model("claude-test").build();
                io.github.conversationstore.TurnService turns = io.github.conversationstore.TurnService.builder(store)
                        .provider(claude).tools(new ConjugationTool()).build()) {
            api.then(200, message("tool_use", "[{\"type\":\"thinking\",\"thinking\":\"Use the table.\",\"signature\":\"c2ln\"},"
                    + "{\"type\":\"tool_use\",\"id\":\"toolu_7\",\"name\":\"conjugate\",\"input\":{\"verb\":\"ir\"}}]"));
            api.then(200, toolReply("Yo voy, tu vas.", "", "I go, you go."));

            io.github.conversationstore.TurnResult turn = turns.respond("s1", "es", "conjuga ir", "t1");

            JsonNode firstRequest = api.requests().get(0);
            assertThat(firstRequest.get("tools")).extracting(t -> t.get("name").asText()).containsExactly("tutor_reply", "conjugate");
            assertThat(firstRequest.get("tool_choice").get("type").asText()).isEqualTo("any");
            JsonNode sent = api.requests().get(1).get("messages");
            assertThat(sent).extracting(t -> t.get("role").asText()).containsExactly("user", "assistant", "user");
            assertThat(sent.get(1).get("content")).extracting(b -> b.get("type").asText()).containsExactly("thinking", "tool_use");
            assertThat(sent.get(1).get("content").get(0).get("signature").asText()).isEqualTo("c2ln");
            assertThat(sent.get(2).get("content").get(0).get("tool_use_id").asText()).isEqualTo("toolu_7");
            assertThat(sent.get(2).get("content").get(0).get("content").asText()).contains("\"yo\":\"voy\"");
            assertThat(turn.reply().text()).isEqualTo("Yo voy, tu vas.");
            assertThat(turn.steps()).hasSize(2);
            assertThat(turn.usage().inputTokens()).isEqualTo(84);
        }
    }
}
