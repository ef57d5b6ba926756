package io.github.conversationstore.examples;

import static io.github.conversationstore.examples.MessagesApiStub.error;
import static io.github.conversationstore.examples.MessagesApiStub.message;
import static io.github.conversationstore.examples.MessagesApiStub.toolReply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.conversationstore.Message;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.TokenUsage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ClaudeReplyProvider} against a local stub of the Messages API (the SDK's base URL points at it). */
@SuppressWarnings("deprecation") // the tutor attributes, deprecated in 0.3, keep working
class ClaudeReplyProviderTest {
    private MessagesApiStub api;

    @BeforeEach
    void startStub() throws Exception {
        api = new MessagesApiStub();
    }

    @AfterEach
    void stopStub() {
        api.close();
    }

    private ClaudeReplyProvider provider(int maxRetries, Duration timeout) {
        return ClaudeReplyProvider.builder().apiKey("test-key").baseUrl(api.baseUrl())
                .maxRetries(maxRetries).timeout(timeout).model("claude-test").maxTokens(300).build();
    }

    private static ReplyRequest request(String text) {
        Instant t = Instant.parse("2026-11-28T10:00:00Z");
        List<StoredMessage> window = List.of(
                new StoredMessage(0, new Message("s", Role.SYSTEM, "seeded", t, Map.of())),
                new StoredMessage(1, new Message("a", Role.USER, "Hola", t, Map.of())),
                new StoredMessage(2, new Message("b", Role.ASSISTANT, "¡Hola! ¿Cómo estás?", t, Map.of())),
                new StoredMessage(3, new Message("c", Role.USER, "bien", t, Map.of())));
        return new ReplyRequest("s1", "es", window, new Message("d", Role.USER, text, t, Map.of()),
                ReplyRequest.CONVERSATION, "turn-1");
    }

    @Test
    void structuredReply_becomesTextGrammarSuggestionTranslationAndUsage() {
        api.then(200, toolReply("¡Qué bien! ¿Y tú?", "Yo estoy bien.", "Great! And you?"));
        try (ClaudeReplyProvider claude = provider(0, Duration.ofSeconds(5))) {
            Reply reply = claude.reply(request("yo es bien"));

            assertThat(reply.text()).isEqualTo("¡Qué bien! ¿Y tú?");
            assertThat(reply.grammarSuggestion()).contains("Yo estoy bien.");
            assertThat(reply.translation()).contains("Great! And you?");
            assertThat(reply.usage()).isEqualTo(new TokenUsage(42, 17));
        }
        JsonNode sent = api.requests().get(0);
        assertThat(sent.get("model").asText()).isEqualTo("claude-test");
        assertThat(sent.get("max_tokens").asInt()).isEqualTo(300);
        assertThat(sent.get("system").asText()).contains("Spanish tutor").contains("tutor_reply");
        assertThat(sent.get("tool_choice").get("type").asText()).isEqualTo("tool");
        assertThat(sent.get("tool_choice").get("name").asText()).isEqualTo("tutor_reply");
        assertThat(sent.get("tools").get(0).get("input_schema").get("required").toString())
                .contains("response", "grammarSuggestion", "translation");
        // system message left out; the two consecutive user messages joined; ends with the new one
        assertThat(sent.get("messages")).hasSize(3);
        assertThat(sent.get("messages").get(0).get("role").asText()).isEqualTo("user");
        assertThat(sent.get("messages").get(1).get("role").asText()).isEqualTo("assistant");
        assertThat(sent.get("messages").get(2).toString()).contains("bien").contains("yo es bien");
    }

    @Test
    void emptyGrammarSuggestion_isLeftOut() {
        api.then(200, toolReply("Muy bien.", "", "Very good."));
        try (ClaudeReplyProvider claude = provider(0, Duration.ofSeconds(5))) {
            Reply reply = claude.reply(request("Estoy bien."));
            assertThat(reply.grammarSuggestion()).isEmpty();
            assertThat(reply.translation()).contains("Very good.");
        }
    }

    @Test
    void plainTextReply_keepsTextWithoutExtras() {
        api.then(200, message("end_turn", "[{\"type\":\"text\",\"text\":\"Hola, ¿qué tal?\"}]"));
        try (ClaudeReplyProvider claude = provider(0, Duration.ofSeconds(5))) {
            Reply reply = claude.reply(request("hola"));
            assertThat(reply.text()).isEqualTo("Hola, ¿qué tal?");
            assertThat(reply.attributes()).isEmpty();
        }
    }

    @Test
    void malformedToolInput_keepsTheTextBlock() {
        api.then(200, message("tool_use", "[{\"type\":\"text\",\"text\":\"Vale.\"},"
                + "{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"tutor_reply\",\"input\":{\"reply\":42}}]"));
        try (ClaudeReplyProvider claude = provider(0, Duration.ofSeconds(5))) {
            Reply reply = claude.reply(request("hola"));
            assertThat(reply.text()).isEqualTo("Vale.");
            assertThat(reply.attributes()).isEmpty();
        }
    }

    @Test
    void rateLimitedThenSuccess_isRetriedByTheSdk() {
        api.then(429, error("rate_limit_error", "slow down")).then(200, toolReply("Sí.", "", "Yes."));
        try (ClaudeReplyProvider claude = provider(2, Duration.ofSeconds(5))) {
            assertThat(claude.reply(request("¿sí?")).text()).isEqualTo("Sí.");
        }
        assertThat(api.requests()).hasSize(2);
    }

    @Test
    void overloaded529_afterSdkRetries_isRetryableFailure() {
        api.then(529, error("overloaded_error", "Overloaded")).then(529, error("overloaded_error", "Overloaded"));
        try (ClaudeReplyProvider claude = provider(1, Duration.ofSeconds(5))) {
            assertThatThrownBy(() -> claude.reply(request("hola")))
                    .isInstanceOf(ReplyProviderException.class)
                    .hasMessageContaining("529")
                    .satisfies(e -> assertThat(((ReplyProviderException) e).isRetryable()).isTrue());
        }
        assertThat(api.requests()).hasSize(2);
    }

    @Test
    void serverError500_isRetryableFailure() {
        api.then(500, error("api_error", "boom"));
        try (ClaudeReplyProvider claude = provider(0, Duration.ofSeconds(5))) {
            assertThatThrownBy(() -> claude.reply(request("hola")))
                    .isInstanceOf(ReplyProviderException.class)
                    .hasMessageContaining("500")
                    .satisfies(e -> assertThat(((ReplyProviderException) e).isRetryable()).isTrue());
        }
    }

    @Test
    void badRequest400_isNotRetryable() {
        api.then(400, error("invalid_request_error", "messages: roles must alternate"));
        try (ClaudeReplyProvider claude = provider(2, Duration.ofSeconds(5))) {
            assertThatThrownBy(() -> claude.reply(request("hola")))
                    .isInstanceOf(ReplyProviderException.class)
                    .hasMessageContaining("roles must alternate")
                    .satisfies(e -> assertThat(((ReplyProviderException) e).isRetryable()).isFalse());
        }
        assertThat(api.requests()).hasSize(1);
    }

    @Test
    void malformedJsonBody_isReportedAsFailure() {
        api.then(200, "{\"id\": \"msg_01\", \"content\": [");
        try (ClaudeReplyProvider claude = provider(0, Duration.ofSeconds(5))) {
            assertThatThrownBy(() -> claude.reply(request("hola")))
                    .isInstanceOf(ReplyProviderException.class)
                    .hasMessageContaining("Claude");
        }
    }

    @Test
    void slowResponse_timesOutAsRetryableFailure() {
        api.then(new MessagesApiStub.Response(200, Map.of(), toolReply("tarde", "", "late"), 3_000));
        try (ClaudeReplyProvider claude = provider(0, Duration.ofMillis(300))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> claude.reply(request("hola")))
                    .isInstanceOf(ReplyProviderException.class)
                    .satisfies(e -> assertThat(((ReplyProviderException) e).isRetryable()).isTrue());
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        }
    }

    @Test
    void refusal_isReportedNotStored() {
        api.then(200, message("refusal", "[]"));
        try (ClaudeReplyProvider claude = provider(0, Duration.ofSeconds(5))) {
            assertThatThrownBy(() -> claude.reply(request("hola")))
                    .isInstanceOf(ReplyProviderException.class)
                    .hasMessageContaining("refusal")
                    .satisfies(e -> assertThat(((ReplyProviderException) e).isRetryable()).isFalse());
        }
    }

    @Test
    void maxTokensStop_isReportedNotHidden() {
        api.then(200, message("max_tokens", "[{\"type\":\"text\",\"text\":\"Hola, me gustaría cont\"}]"));
        try (ClaudeReplyProvider claude = provider(0, Duration.ofSeconds(5))) {
            assertThatThrownBy(() -> claude.reply(request("hola")))
                    .isInstanceOf(ReplyProviderException.class)
                    .hasMessageContaining("max_tokens")
                    .satisfies(e -> assertThat(((ReplyProviderException) e).isRetryable()).isFalse());
        }
    }

    @Test
    void builder_withoutKey_explainsWhatIsMissing() {
        assertThatThrownBy(() -> ClaudeReplyProvider.builder().build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("ANTHROPIC_API_KEY");
    }
}
