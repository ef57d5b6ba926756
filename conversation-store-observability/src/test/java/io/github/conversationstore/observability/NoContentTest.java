package io.github.conversationstore.observability;

import static io.github.conversationstore.testing.FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.AppendConflictException;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.testing.LogCapture;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolException;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * No content anywhere: a canary string in every field of every operation (session id, message
 * texts, parts, attributes, header attributes, metadata, tool arguments and results, a tool name the
 * model made up, exception messages) appears in no meter, no span and no log line.
 */
@SuppressWarnings("deprecation") // the tutor attributes, deprecated in 0.3, keep working
class NoContentTest {
    private static final String CANARY = "CANARY-9c2e";

    private LogCapture logs;
    private EmbeddedMongo server;
    private FaultInjectingProxy proxy;
    private MongoClient proxied;

    @BeforeEach
    void start() throws Exception {
        logs = LogCapture.start();
        server = new EmbeddedMongo();
        proxy = new FaultInjectingProxy(server.port());
        proxied = proxy.client();
    }

    @AfterEach
    void stop() throws Exception {
        logs.close();
        proxied.close();
        proxy.close();
        server.close();
    }

    /** Calls tools (one that fails, one nobody offered), then answers; fails when asked to. */
    static final class CanaryModel implements ReplyProvider {
        @Override
        public Reply reply(ReplyRequest request) {
            if (request.userMessage().text().contains("provider-down")) {
                throw new ReplyProviderException("down " + CANARY, true, null);
            }
            if (request.steps().isEmpty()) {
                return Reply.of(Part.text("calling " + CANARY),
                        new Part.ToolCall("c-" + CANARY, "lookup", "{\"x\":\"" + CANARY + "\"}"),
                        new Part.ToolCall("c2-" + CANARY, "lookup", "{\"fail\":\"" + CANARY + "\"}"),
                        new Part.ToolCall("c3-" + CANARY, "made-up-" + CANARY, "{\"y\":\"" + CANARY + "\"}"))
                        .withMetadata("k", CANARY);
            }
            return Reply.of("reply " + CANARY).withModel("model-x").withUsage(new TokenUsage(3, 4))
                    .withMetadata("k", CANARY).withTranslation("translation " + CANARY)
                    .withAttribute("a", "attribute " + CANARY);
        }

        @Override
        public String name() {
            return "canary-model";
        }
    }

    static final Tool LOOKUP = Tool.of(new ToolSpec("lookup", "Looks up.", "{\"type\":\"object\"}"), call -> {
        if (call.arguments().contains("fail")) {
            throw new ToolException("tool failed on " + CANARY, false, null);
        }
        return ToolOutput.text("result " + CANARY);
    });

    @Test
    void canary_inEveryFieldOfEveryOperation_appearsInNoMeterSpanOrLogLine() {
        String session = "session-" + CANARY;
        Message rich = new Message("id-" + CANARY, Role.ASSISTANT, List.of(Part.text("text " + CANARY),
                Part.Reasoning.of("thinking " + CANARY, "sig-" + CANARY),
                new Part.ToolCall("call-" + CANARY, "tool", "{\"q\":\"" + CANARY + "\"}")), Instant.now(),
                Map.of("attr", "value " + CANARY), Map.of("meta", Map.of("deep", CANARY)));
        Message media = Message.of(Role.USER, Part.text(CANARY), Part.Media.of("image/png", URI.create("https://x/" + CANARY)));
        // the OpenTelemetry binding would name the conversation, but the store does not expose it
        try (Telemetry t = new Telemetry(true)) {
            try (MongoConversationStore store = MongoConversationStore.builder().client(proxied).database("canary")
                    .collection("c").listener(t.meters).listener(t.spans).maxHeadMessages(4).maxHeadBytes(2048).build();
                    TurnService turns = TurnService.builder(store).provider(new CanaryModel()).tools(LOOKUP)
                            .listener(t.meters).listener(t.spans).retryBackoff(Duration.ofMillis(1)).build()) {
                store.appendMessages(AppendRequest.builder(session, "es").appendId("append-" + CANARY)
                        .headerAttribute("h", "header " + CANARY).messages(rich, media).build());
                proxy.arm(DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
                store.appendMessages(AppendRequest.builder(session, "es").appendId("again-" + CANARY).messages(media).build());
                turns.respond(session, "es", "user text " + CANARY, "turn-" + CANARY);
                assertThatThrownBy(() -> turns.respond(session, "es", "provider-down " + CANARY, "turn2-" + CANARY))
                        .hasMessageContaining(CANARY);
                assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder(session, "es")
                        .appendId("append-" + CANARY).messages(media).build())).isInstanceOf(AppendConflictException.class);
                store.recentMessages(session, 10);
                store.readMessages(session, 0, 100);
                store.findConversation(session);
                store.deleteConversation(session);
                store.removeOrphanedArchives();
            }
            // the same through the in-memory store
            try (InMemoryConversationStore memory = InMemoryConversationStore.builder().listener(t.meters).listener(t.spans).build();
                    TurnService turns = TurnService.builder(memory).provider(new CanaryModel()).tools(LOOKUP)
                            .listener(t.meters).listener(t.spans).build()) {
                memory.appendMessages(AppendRequest.builder(session, "es").headerAttribute("h", CANARY).messages(rich).build());
                turns.respond(session, "es", "user text " + CANARY, "turn-" + CANARY);
                memory.deleteConversation(session);
            }

            // everything was observed...
            assertThat(t.timed(MicrometerStoreListener.TOOL_CALL, "outcome", "error_result")).isEqualTo(4);
            assertThat(t.timed(MicrometerStoreListener.TOOL_CALL, "tool", MicrometerStoreListener.UNKNOWN_TOOL)).isEqualTo(2);
            assertThat(t.timed(MicrometerStoreListener.PROVIDER_CALL, "outcome", "ReplyFailedException")).isEqualTo(1);
            assertThat(t.timed(MicrometerStoreListener.TURN, "outcome", "ReplyFailedException")).isEqualTo(1);
            assertThat(t.timed(MicrometerStoreListener.APPEND, "outcome", "AppendConflictException")).isEqualTo(1);
            assertThat(t.counted(MicrometerStoreListener.RETRIES)).isPositive();
            assertThat(t.timed(MicrometerStoreListener.MOVE)).isPositive();
            assertThat(t.spans("execute_tool " + MicrometerStoreListener.UNKNOWN_TOOL)).hasSize(2);
            assertThat(t.spans()).hasSizeGreaterThan(20);
            assertThat(t.spans()).filteredOn(s -> s.getStatus().getStatusCode() == io.opentelemetry.api.trace.StatusCode.ERROR)
                    .extracting(s -> Telemetry.attribute(s, OpenTelemetryStoreListener.ERROR_TYPE))
                    .contains("ReplyFailedException", "AppendConflictException", "error_result");
            assertThat(t.spans()).allSatisfy(s -> assertThat(Telemetry.attribute(s, OpenTelemetryStoreListener.GEN_AI_CONVERSATION_ID))
                    .isNull());
            // ...and nothing of the content
            assertThat(t.meterStrings()).isNotEmpty().allSatisfy(v -> assertThat(v).doesNotContain(CANARY));
            assertThat(t.spanStrings()).isNotEmpty().allSatisfy(v -> assertThat(v).doesNotContain(CANARY));
        }
        assertThat(logs.lines()).isNotEmpty().allSatisfy(l -> assertThat(l).doesNotContain(CANARY));
    }

    @Test
    void conversationId_onlyWhenTheStoreExposesItAndTheBindingAsks() {
        try (Telemetry asked = new Telemetry(true); Telemetry notAsked = new Telemetry(false);
                InMemoryConversationStore store = InMemoryConversationStore.builder().exposeSessionIds(true)
                        .listener(asked.meters).listener(asked.spans).listener(notAsked.spans).build()) {
            store.appendMessages("session-1", "es", List.of(Message.user("hola")));
            store.recentMessages("session-1", 5);

            assertThat(asked.spans()).hasSize(2).allSatisfy(s ->
                    assertThat(Telemetry.attribute(s, OpenTelemetryStoreListener.GEN_AI_CONVERSATION_ID)).isEqualTo("session-1"));
            assertThat(notAsked.spans()).hasSize(2).allSatisfy(s ->
                    assertThat(Telemetry.attribute(s, OpenTelemetryStoreListener.GEN_AI_CONVERSATION_ID)).isNull());
            // never a meter tag, exposed or not
            assertThat(asked.meterStrings()).noneMatch(v -> v.contains("session-1"));
        }
    }

    @Test
    void turnSpan_isAChildOfTheApplicationsSpan_andTheTurnsWorkOfIt() {
        try (Telemetry t = new Telemetry();
                InMemoryConversationStore store = InMemoryConversationStore.builder().listener(t.spans).build();
                TurnService turns = TurnService.builder(store).provider(new ObservabilityWorkloadTest.ScriptedModel())
                        .tools(ObservabilityWorkloadTest.LOOKUP).listener(t.spans).build()) {
            io.opentelemetry.api.trace.Span request = t.openTelemetry.getTracer("app").spanBuilder("POST /api/chat").startSpan();
            io.opentelemetry.context.Scope scope = request.makeCurrent();
            try {
                turns.respond("s", "es", "hola", "t1");
            } finally {
                scope.close();
                request.end();
            }

            SpanData app = t.spans("POST /api/chat").get(0);
            SpanData turn = t.spans("invoke_agent").get(0);
            assertThat(turn.getParentSpanId()).isEqualTo(app.getSpanId());
            assertThat(t.spans()).filteredOn(s -> s != app && s != turn)
                    .isNotEmpty().allSatisfy(s -> assertThat(s.getParentSpanId()).isEqualTo(turn.getSpanId()));
        }
    }
}
