package io.github.conversationstore.examples;

import static io.github.conversationstore.examples.MessagesApiStub.message;
import static io.github.conversationstore.examples.MessagesApiStub.toolReply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.StreamingReplyProvider;
import io.github.conversationstore.spi.TokenUsage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ClaudeReplyProvider#stream}: the SDK's streaming call against the stub of the Messages API,
 * which streams the same scripted message the non-streaming call gets, so that both replies can be
 * compared.
 */
class ClaudeStreamingTest {
    private MessagesApiStub api;
    private ClaudeReplyProvider claude;

    @BeforeEach
    void start() throws Exception {
        api = new MessagesApiStub();
        claude = ClaudeReplyProvider.builder().apiKey("test-key").baseUrl(api.baseUrl()).maxRetries(0)
                .timeout(Duration.ofSeconds(5)).model("claude-test").maxTokens(300).build();
    }

    @AfterEach
    void stop() {
        claude.close();
        api.close();
    }

    private static ReplyRequest request(String text) {
        Instant t = Instant.parse("2026-11-28T10:00:00Z");
        List<StoredMessage> window = List.of(new StoredMessage(0, new Message("a", Role.USER, "Hola", t, Map.of())),
                new StoredMessage(1, new Message("b", Role.ASSISTANT, "¡Hola! ¿Cómo estás?", t, Map.of())));
        return new ReplyRequest("s1", "es", window, new Message("c", Role.USER, text, t, Map.of()),
                ReplyRequest.CONVERSATION, "turn-1");
    }

    /** Streams the scripted body, then asks for it without streaming; returns both and the deltas. */
    private Compared compare(String body) {
        api.then(200, body).then(200, body);
        List<String> deltas = new ArrayList<>();
        Reply streamed = claude.stream(request("yo es bien"), deltas::add);
        Reply plain = claude.reply(request("yo es bien"));
        return new Compared(streamed, plain, deltas);
    }

    private record Compared(Reply streamed, Reply plain, List<String> deltas) {}

    @Test
    void structuredReply_streamedEqualsNotStreamed_andTheResponseFieldStreamsInOrder() {
        Compared c = compare(toolReply("¡Qué bien! Cuéntame más, por favor.", "Yo estoy bien.", "Great! Tell me more, please."));

        assertThat(c.streamed()).isEqualTo(c.plain());
        assertThat(c.streamed().text()).isEqualTo("¡Qué bien! Cuéntame más, por favor.");
        assertThat(c.streamed().usage()).isEqualTo(new TokenUsage(42, 17));
        assertThat(c.streamed().metadata()).containsEntry(Message.FINISH_REASON, "tool_use");
        // the tool input came in 6-character pieces of ASCII-escaped JSON: many deltas, joined in order
        assertThat(c.deltas()).hasSizeGreaterThan(3);
        assertThat(String.join("", c.deltas())).isEqualTo(c.streamed().text());
        // only the response: the grammar suggestion and the translation are not shown as it streams
        assertThat(String.join("", c.deltas())).doesNotContain("Great").doesNotContain("estoy");
        assertThat(api.requests().get(0).get("stream").asBoolean()).isTrue();
        assertThat(api.requests().get(1).has("stream") && api.requests().get(1).get("stream").asBoolean()).isFalse();
        // streamed, the tool's input comes as Claude writes it, not a whole field at a time
        assertThat(api.requests().get(0).get("tools").get(0).get("eager_input_streaming").asBoolean()).isTrue();
        assertThat(api.requests().get(1).get("tools").get(0).has("eager_input_streaming")).isFalse();
    }

    @Test
    void escapesQuotesNewlinesAndEmoji_decodeAsTheWholeMessageDoes() {
        Compared c = compare(toolReply("Dijo \\\"hola\\\"\\n y se fue 😀 \\\\ fin", "", "He said hi"));

        assertThat(c.streamed()).isEqualTo(c.plain());
        assertThat(c.streamed().text()).isEqualTo("Dijo \"hola\"\n y se fue 😀 \\ fin");
        assertThat(String.join("", c.deltas())).isEqualTo(c.streamed().text());
        // a delta never ends between the two halves of a surrogate pair
        assertThat(c.deltas()).noneMatch(d -> Character.isHighSurrogate(d.charAt(d.length() - 1)));
    }

    @Test
    void toolCallsWithThinkingAndText_streamedEqualsNotStreamed_toolCallsIncluded() {
        Compared c = compare(message("tool_use", "[{\"type\":\"thinking\",\"thinking\":\"The student asks for a verb.\","
                + "\"signature\":\"sig-1\"},{\"type\":\"text\",\"text\":\"Voy a buscar el verbo «ir».\"},"
                + "{\"type\":\"tool_use\",\"id\":\"toolu_7\",\"name\":\"conjugate\",\"input\":{\"verb\":\"ir\"}}]"));

        assertThat(c.streamed()).isEqualTo(c.plain());
        assertThat(c.streamed().toolCalls()).singleElement().satisfies(call -> {
            assertThat(call.callId()).isEqualTo("toolu_7");
            assertThat(call.name()).isEqualTo("conjugate");
            assertThat(call.arguments()).contains("\"verb\"").contains("\"ir\"");
        });
        assertThat(c.streamed().parts()).anyMatch(p -> p instanceof Part.Reasoning r && "sig-1".equals(r.signature()));
        assertThat(String.join("", c.deltas())).isEqualTo(c.streamed().text()).isEqualTo("Voy a buscar el verbo «ir».");
    }

    @Test
    void plainTextReply_withSurroundingWhitespace_deltasJoinToTheStrippedText() {
        Compared c = compare(message("end_turn", "[{\"type\":\"text\",\"text\":\"  \\n Hola, ¿qué   tal?  \\n\"}]"));

        assertThat(c.streamed()).isEqualTo(c.plain());
        assertThat(c.streamed().text()).isEqualTo("Hola, ¿qué   tal?");
        assertThat(String.join("", c.deltas())).isEqualTo("Hola, ¿qué   tal?");
        assertThat(c.deltas()).allMatch(d -> !d.isEmpty());
    }

    @Test
    void deltas_arriveWhileTheStreamIsStillComing() {
        api.pauseBetweenEvents(Duration.ofMillis(40));
        api.then(200, toolReply("Una respuesta bastante larga para que llegue en muchos trozos.", "", "A long answer."));
        List<Long> arrivals = new ArrayList<>();

        Reply reply = claude.stream(request("hola"), d -> arrivals.add(System.nanoTime()));
        long returned = System.nanoTime();

        assertThat(reply.text()).startsWith("Una respuesta");
        // the first delta came long before the last event: the text is passed on, not collected
        assertThat(Duration.ofNanos(returned - arrivals.get(0))).isGreaterThan(Duration.ofMillis(400));
    }

    @Test
    void anExceptionFromTheDeltas_endsTheStreamAndPropagatesAsItIs() {
        api.pauseBetweenEvents(Duration.ofMillis(20));
        api.then(200, toolReply("Una respuesta que se detiene a medias.", "", "Stopped."));
        IllegalStateException stop = new IllegalStateException("stopped by the user");
        List<String> seen = new ArrayList<>();

        assertThatThrownBy(() -> claude.stream(request("hola"), d -> {
            seen.add(d);
            throw stop;
        })).isSameAs(stop);
        assertThat(seen).hasSize(1);
    }

    @Test
    void errorEventInTheMiddleOfTheStream_isARetryableFailure() {
        api.then(200, "event: message_start\ndata: " + startEvent() + "\n\n"
                + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n");

        assertThatThrownBy(() -> claude.stream(request("hola"), d -> { }))
                .isInstanceOf(ReplyProviderException.class)
                .hasMessageContaining("Overloaded")
                .satisfies(e -> assertThat(((ReplyProviderException) e).isRetryable()).isTrue());
    }

    @Test
    void httpErrorBeforeTheStream_isMappedAsWithoutStreaming() {
        api.then(400, MessagesApiStub.error("invalid_request_error", "messages: roles must alternate"));

        assertThatThrownBy(() -> claude.stream(request("hola"), d -> { }))
                .isInstanceOf(ReplyProviderException.class)
                .hasMessageContaining("400").hasMessageContaining("roles must alternate")
                .satisfies(e -> assertThat(((ReplyProviderException) e).isRetryable()).isFalse());
    }

    @Test
    void refusalWhileStreaming_isReportedNotStored() {
        api.then(200, message("refusal", "[{\"type\":\"text\",\"text\":\"No.\"}]"));

        assertThatThrownBy(() -> claude.stream(request("hola"), d -> { }))
                .isInstanceOf(ReplyProviderException.class).hasMessageContaining("refusal");
    }

    @Test
    void responseField_afterOtherFieldsAndNestedValues_isTheOnlyTextPassedOn() {
        String json = "{\"grammarSuggestion\": \"x\", \"meta\": {\"response\": \"nested\", \"n\": [1, \"a\"]},"
                + " \"response\" : \"Bien \\u00e9 \\ud83d\\ude00.\", \"translation\": \"Good\"}";
        for (int size : new int[] {1, 2, 3, 7, json.length()}) {
            StringBuilder out = new StringBuilder();
            ClaudeStreamText.ResponseField field = new ClaudeStreamText.ResponseField(out::append);
            for (int i = 0; i < json.length(); i += size) {
                field.accept(json.substring(i, Math.min(json.length(), i + size)));
            }
            assertThat(out.toString()).as("pieces of " + size).isEqualTo("Bien é 😀.");
        }
    }

    @Test
    void theProviderStreams_forTheTurnService() {
        assertThat(claude).isInstanceOf(StreamingReplyProvider.class);
    }

    private static String startEvent() {
        return "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\","
                + "\"model\":\"claude-test\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                + "\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}";
    }
}
