package io.github.conversationstore.observability;

import static io.github.conversationstore.testing.FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.TurnResult;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A scripted workload with injected faults (a reply dropped after the server applied the append, a
 * duplicate key error), concurrent first messages, tiny heads (moves to the archive), reads, a
 * tool-using turn, an erasure and a sweep: every meter and span counted, and the spans of the turn
 * under the turn's span.
 */
class ObservabilityWorkloadTest {
    static final int CONCURRENT_FIRST = 6;

    static EmbeddedMongo server;
    FaultInjectingProxy proxy;
    MongoClient proxied;
    String collection;

    @BeforeAll
    static void startServer() {
        server = new EmbeddedMongo();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void connect() throws Exception {
        proxy = new FaultInjectingProxy(server.port());
        proxied = proxy.client();
        collection = "c" + System.nanoTime();
    }

    @AfterEach
    void disconnect() throws Exception {
        proxied.close();
        proxy.close();
    }

    /** Asks for the tool once, then answers, naming its model and usage. */
    static final class ScriptedModel implements ReplyProvider {
        @Override
        public Reply reply(ReplyRequest request) {
            if (request.steps().isEmpty()) {
                return Reply.of(Part.text("let me look"), new Part.ToolCall("call-1", "lookup", "{\"verb\":\"ir\"}"));
            }
            return Reply.of("voy, vas, va").withModel("model-x").withUsage(new TokenUsage(30, 7));
        }

        @Override
        public String name() {
            return "scripted";
        }
    }

    static final Tool LOOKUP = Tool.of(new ToolSpec("lookup", "Looks up a verb.", "{\"type\":\"object\"}"),
            call -> ToolOutput.text("yo voy"));

    @Test
    void workloadWithFaults_producesTheExpectedMetersAndSpans() throws Exception {
        try (Telemetry t = new Telemetry();
                MongoConversationStore store = MongoConversationStore.builder().client(proxied).database("obs")
                        .collection(collection).listener(t.meters).listener(t.spans)
                        .maxHeadMessages(4).maxHeadBytes(2048).build();
                TurnService turns = TurnService.builder(store).provider(new ScriptedModel()).tools(LOOKUP)
                        .listener(t.meters).listener(t.spans).retryBackoff(Duration.ofMillis(1)).build()) {
            for (int i = 0; i < 10; i++) {
                store.appendMessages("s1", "es", List.of(Message.user("hola " + i), Message.assistant("hi " + i)));
            }
            // the reply of the first attempt is lost: the retry finds the append applied (E11000 settled)
            proxy.arm(DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
            AppendRequest lost = AppendRequest.builder("s1", "es").appendId("lost-reply").messages(Message.user("x")).build();
            store.appendMessages(lost);
            // another writer created the session first (an injected E11000)
            proxy.armError(FaultInjectingProxy.duplicateKeyError(), "findAndModify", 1);
            store.appendMessages("s2", "es", List.of(Message.user("first")));
            assertThat(t.counted(MicrometerStoreListener.RACES_ABSORBED, "operation", "append")).isEqualTo(2);
            assertThat(t.counted(MicrometerStoreListener.RETRIES, "operation", "append")).isEqualTo(1);
            double createdBefore = t.counted(MicrometerStoreListener.CONVERSATIONS);
            // first messages of a new session at once: one creates it, the races (if any) are settled
            concurrentFirstMessages(store, "s3");
            assertThat(t.counted(MicrometerStoreListener.CONVERSATIONS)).isEqualTo(createdBefore + 1);
            double concurrentRaces = t.counted(MicrometerStoreListener.RACES_ABSORBED) - 2;
            assertThat(concurrentRaces).isBetween(0.0, CONCURRENT_FIRST - 1.0);
            // a repeat of an applied append: the fast path's upsert finds no head without its id, hits
            // E11000, and the store answers "duplicate": one more race absorbed
            assertThat(store.appendMessages(lost).duplicate()).isTrue();
            assertThat(t.counted(MicrometerStoreListener.RACES_ABSORBED)).isEqualTo(2 + concurrentRaces + 1);
            store.recentMessages("s1", 5);
            store.readMessages("s1", 0, 100);
            store.findConversation("nobody");
            long spansBeforeTurn = t.spans().size();
            TurnResult turn = turns.respond("s1", "es", "conjugate ir", "turn-1");
            assertThat(turn.steps()).hasSize(2);
            List<SpanData> turnSpans = t.spans().subList((int) spansBeforeTurn, t.spans().size());
            store.deleteConversation("s2");
            store.removeOrphanedArchives();

            // the turn stored 4 messages in 4 appends: user message, tool call, tool result, reply
            long turnAppends = 4;
            long appends = 10 + 1 + 1 + CONCURRENT_FIRST + 1 + turnAppends;
            assertThat(t.timed(MicrometerStoreListener.APPEND)).isEqualTo(appends);
            assertThat(t.timed(MicrometerStoreListener.APPEND, "outcome", "ok")).isEqualTo(appends);
            assertThat(t.timed(MicrometerStoreListener.APPEND, "duplicate", "true")).isEqualTo(1);
            assertThat(t.counted(MicrometerStoreListener.APPEND_MESSAGES)).isEqualTo(20 + 1 + 1 + CONCURRENT_FIRST + 4);
            assertThat(t.counted(MicrometerStoreListener.CONVERSATIONS)).isEqualTo(3); // s1, s2, s3
            assertThat(t.counted(MicrometerStoreListener.RACES_ABSORBED, "operation", "append")).isEqualTo(3 + concurrentRaces);
            assertThat(t.counted(MicrometerStoreListener.RACES_ABSORBED)).isEqualTo(3 + concurrentRaces);
            assertThat(t.counted(MicrometerStoreListener.RETRIES)).isEqualTo(1);

            long moves = t.timed(MicrometerStoreListener.MOVE);
            assertThat(moves).isPositive();
            long archived = 0; // what left the heads (s2, erased, never outgrew its head)
            for (String session : List.of("s1", "s3")) {
                archived += store.findConversation(session).orElseThrow().messageCount() - headMessages(session);
            }
            assertThat(t.counted(MicrometerStoreListener.MOVE_MESSAGES)).isEqualTo((double) archived);
            assertThat(t.counted(MicrometerStoreListener.MOVE_BYTES)).isPositive();

            assertThat(t.timed(MicrometerStoreListener.READ, "kind", "recent")).isGreaterThanOrEqualTo(1);
            // three reads of ours and the two header reads just above, plus the turn's window
            long turnReads = turnSpans.stream().filter(s -> Telemetry.attribute(s, OpenTelemetryStoreListener.READ_KIND) != null)
                    .count();
            assertThat(turnReads).isPositive(); // at least the window before the user's message
            assertThat(t.timed(MicrometerStoreListener.READ)).isEqualTo(3 + 2 + turnReads);

            assertThat(t.timed(MicrometerStoreListener.TURN, "outcome", "ok", "replayed", "false")).isEqualTo(1);
            assertThat(t.registry.find(MicrometerStoreListener.TURN_ACTIVE).longTaskTimer().activeTasks()).isZero();
            assertThat(t.timed(MicrometerStoreListener.PROVIDER_CALL, "provider", "scripted")).isEqualTo(2);
            assertThat(t.timed(MicrometerStoreListener.PROVIDER_CALL, "model", "model-x")).isEqualTo(1);
            assertThat(t.timed(MicrometerStoreListener.PROVIDER_CALL, "model", "none")).isEqualTo(1);
            assertThat(t.counted(MicrometerStoreListener.PROVIDER_TOKENS, "type", "input")).isEqualTo(30);
            assertThat(t.counted(MicrometerStoreListener.PROVIDER_TOKENS, "type", "output")).isEqualTo(7);
            assertThat(t.timed(MicrometerStoreListener.TOOL_CALL, "tool", "lookup", "outcome", "ok")).isEqualTo(1);
            assertThat(t.timed(MicrometerStoreListener.LEASE_WAIT)).isZero();
            assertThat(t.timed(MicrometerStoreListener.ERASURE)).isEqualTo(1);
            assertThat(t.counted(MicrometerStoreListener.ERASURE_MESSAGES)).isEqualTo(1);
            assertThat(t.timed(MicrometerStoreListener.SWEEP)).isEqualTo(1);

            // spans: one per event of an operation, moves under their appends
            assertThat(t.spans("appendMessages")).hasSize((int) appends)
                    .allSatisfy(s -> assertThat(s.getKind()).isEqualTo(io.opentelemetry.api.trace.SpanKind.CLIENT))
                    .allSatisfy(s -> assertThat(Telemetry.attribute(s, OpenTelemetryStoreListener.DB_SYSTEM_NAME))
                            .isEqualTo("mongodb"));
            assertThat(t.spans("recentMessages").size() + t.spans("readMessages").size() + t.spans("findConversation").size())
                    .isEqualTo((int) t.timed(MicrometerStoreListener.READ));
            assertThat(t.spans("invoke_agent")).hasSize(1);
            assertThat(t.spans("chat")).hasSize(2);
            assertThat(t.spans("execute_tool lookup")).hasSize(1);
            assertThat(t.spans("deleteConversation")).hasSize(1);
            assertThat(t.spans("removeOrphanedArchives")).hasSize(1);
            Set<String> appendSpanIds = t.spans("appendMessages").stream().map(SpanData::getSpanId).collect(Collectors.toSet());
            assertThat(t.spans("moveToArchive")).hasSize((int) moves)
                    .allSatisfy(m -> assertThat(appendSpanIds).contains(m.getParentSpanId()));
            assertThat(t.spans()).hasSize((int) (appends + t.timed(MicrometerStoreListener.READ) + 1 + 2 + 1 + 1 + 1 + moves));

            // the faults are events of the append they hit
            List<String> events = t.spans("appendMessages").stream()
                    .flatMap(s -> s.getEvents().stream().map(e -> e.getName())).toList();
            assertThat(events).filteredOn(OpenTelemetryStoreListener.RETRY_EVENT::equals).hasSize(1);
            assertThat(events).filteredOn(OpenTelemetryStoreListener.RACE_ABSORBED_EVENT::equals).hasSize(3 + (int) concurrentRaces);
            assertThat(events).hasSize(4 + (int) concurrentRaces);
            List<SpanData> faulted = t.spans("appendMessages").stream().filter(s -> !s.getEvents().isEmpty()).toList();
            assertThat(faulted.get(0).getEvents()).extracting(e -> e.getName())
                    .containsExactly(OpenTelemetryStoreListener.RETRY_EVENT, OpenTelemetryStoreListener.RACE_ABSORBED_EVENT);
            assertThat(faulted.get(1).getEvents()).extracting(e -> e.getName())
                    .containsExactly(OpenTelemetryStoreListener.RACE_ABSORBED_EVENT);
            assertThat(faulted.subList(0, 2)).allSatisfy(s -> assertThat(Telemetry.attribute(s, OpenTelemetryStoreListener.ATTEMPTS))
                    .isEqualTo(2L));
            assertThat(t.spans("appendMessages")).filteredOn(s -> Telemetry.attribute(s, OpenTelemetryStoreListener.DUPLICATE))
                    .singleElement().satisfies(s -> assertThat(s.getEvents()).extracting(e -> e.getName())
                            .containsExactly(OpenTelemetryStoreListener.RACE_ABSORBED_EVENT));

            // the turn: its appends, reads, provider and tool calls are its children, in its trace
            SpanData turnSpan = t.spans("invoke_agent").get(0);
            long turnMoves = turnSpans.stream().filter(s -> s.getName().equals("moveToArchive")).count();
            assertThat(turnSpans).hasSize((int) (turnAppends + turnReads + turnMoves + 2 + 1 + 1));
            Set<String> turnAppendIds = turnSpans.stream().filter(s -> s.getName().equals("appendMessages"))
                    .map(SpanData::getSpanId).collect(Collectors.toSet());
            assertThat(turnSpans).filteredOn(s -> s != turnSpan).allSatisfy(s -> {
                assertThat(s.getParentSpanId()).isEqualTo(s.getName().equals("moveToArchive")
                        ? s.getParentSpanId() : turnSpan.getSpanId());
                assertThat(s.getTraceId()).isEqualTo(turnSpan.getTraceId());
                assertThat(s.getStartEpochNanos()).isGreaterThanOrEqualTo(turnSpan.getStartEpochNanos());
                assertThat(s.getEndEpochNanos()).isLessThanOrEqualTo(turnSpan.getEndEpochNanos());
            });
            assertThat(turnSpans).filteredOn(s -> s.getName().equals("moveToArchive"))
                    .allSatisfy(m -> assertThat(turnAppendIds).contains(m.getParentSpanId()));
            assertThat(turnSpan.getParentSpanContext().isValid()).isFalse();
            assertThat(Telemetry.attribute(turnSpan, OpenTelemetryStoreListener.GEN_AI_OPERATION_NAME)).isEqualTo("invoke_agent");
            assertThat(Telemetry.attribute(turnSpan, OpenTelemetryStoreListener.GEN_AI_PROVIDER_NAME)).isEqualTo("scripted");
            assertThat(Telemetry.attribute(turnSpan, OpenTelemetryStoreListener.GEN_AI_INPUT_TOKENS)).isEqualTo(30L);
            assertThat(Telemetry.attribute(turnSpan, OpenTelemetryStoreListener.GEN_AI_OUTPUT_TOKENS)).isEqualTo(7L);
            assertThat(Telemetry.attribute(turnSpan, OpenTelemetryStoreListener.STEPS)).isEqualTo(1L);
            assertThat(Telemetry.attribute(turnSpan, OpenTelemetryStoreListener.GEN_AI_CONVERSATION_ID)).isNull();
            SpanData answer = t.spans("chat").get(1);
            assertThat(Telemetry.attribute(answer, OpenTelemetryStoreListener.GEN_AI_RESPONSE_MODEL)).isEqualTo("model-x");
            assertThat(Telemetry.attribute(answer, OpenTelemetryStoreListener.GEN_AI_OPERATION_NAME)).isEqualTo("chat");
            assertThat(Telemetry.attribute(t.spans("execute_tool lookup").get(0), OpenTelemetryStoreListener.GEN_AI_TOOL_NAME))
                    .isEqualTo("lookup");
            // every span ended where its event said, none failed
            assertThat(t.spans()).allSatisfy(s -> {
                assertThat(s.getEndEpochNanos()).isGreaterThanOrEqualTo(s.getStartEpochNanos());
                assertThat(s.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
            });
            // spans outside the turn have no parent: nothing leaked from the turn's scope
            assertThat(t.spans()).filteredOn(s -> !turnSpans.contains(s) && !s.getName().equals("moveToArchive"))
                    .allSatisfy(s -> assertThat(s.getParentSpanContext().isValid()).isFalse());
            assertThat(io.opentelemetry.api.trace.Span.current().getSpanContext().isValid()).isFalse();
        }
    }

    private void concurrentFirstMessages(MongoConversationStore store, String session) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT_FIRST);
        try {
            CyclicBarrier start = new CyclicBarrier(CONCURRENT_FIRST);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < CONCURRENT_FIRST; i++) {
                int user = i;
                done.add(pool.submit(() -> {
                    start.await(5, TimeUnit.SECONDS);
                    return store.appendMessages(session, "es", List.of(Message.user("first " + user)));
                }));
            }
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private long headMessages(String session) {
        Document head = proxied.getDatabase("obs").getCollection(collection).find(new Document("sessionId", session)).first();
        return head.getList("messages", Object.class).size();
    }
}
