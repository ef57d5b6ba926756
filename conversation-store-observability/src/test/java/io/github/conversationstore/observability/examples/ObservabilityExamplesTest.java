package io.github.conversationstore.observability.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.ScriptedReplyProvider;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.observability.MicrometerStoreListener;
import io.github.conversationstore.observability.OpenTelemetryStoreListener;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The javadoc examples of the observability bindings, compiled and run against the embedded
 * MongoDB server. {@code JavadocSnippetsTest} keeps the javadoc equal to the regions.
 */
class ObservabilityExamplesTest {
    private EmbeddedMongo server;
    private final ReplyProvider provider = ScriptedReplyProvider.echo();

    @BeforeEach
    void start() {
        server = new EmbeddedMongo();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** {@code MicrometerStoreListener}: meters of the store and the turn service. */
    @Test
    void micrometer_metersOfAStoreAndItsTurns() {
        String connectionString = server.connectionString();
        MeterRegistry registry = new SimpleMeterRegistry();
        // @start region="micrometer"
        MicrometerStoreListener meters = MicrometerStoreListener.builder(registry)
                .tag("store", "tutor") // on every meter, to tell stores apart
                .build();
        ConversationStore store = MongoConversationStore.builder()
                .connectionString(connectionString)
                .database("tutor")
                .listener(meters)      // appends, reads, races, retries, moves, erasures
                .build();
        TurnService turns = TurnService.builder(store)
                .provider(provider)
                .listener(meters)      // the same instance: turns, provider and tool calls
                .build();
        turns.respond("session-42", "es", "¿Qué hora es?", "turn-8");
        // conversation.store.turn counts one turn, conversation.store.append two appends
        // @end
        try (store; turns) {
            assertThat(registry.get(MicrometerStoreListener.TURN).tag("store", "tutor").timer().count()).isEqualTo(1);
            assertThat(registry.get(MicrometerStoreListener.APPEND).tag("store", "tutor").timers().stream()
                    .mapToLong(Timer::count).sum()).isEqualTo(2);
        }
    }

    /** {@code OpenTelemetryStoreListener}: a turn's span with its appends as children. */
    @Test
    void openTelemetry_aTurnsSpanAndItsChildren() {
        String connectionString = server.connectionString();
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        OpenTelemetry openTelemetry = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()).build();
        // @start region="opentelemetry"
        OpenTelemetryStoreListener spans = OpenTelemetryStoreListener.builder(openTelemetry).build();
        ConversationStore store = MongoConversationStore.builder()
                .connectionString(connectionString)
                .database("tutor")
                .listener(spans)
                .build();
        TurnService turns = TurnService.builder(store).provider(provider).listener(spans).build();
        turns.respond("session-42", "es", "¿Qué hora es?", "turn-8");
        // an invoke_agent span, with the turn's appendMessages and chat spans among its children
        // @end
        try (store; turns) {
            List<SpanData> finished = exporter.getFinishedSpanItems();
            SpanData turn = finished.stream().filter(s -> s.getName().equals("invoke_agent")).findFirst().orElseThrow();
            assertThat(finished).filteredOn(s -> s.getName().equals("appendMessages")).hasSize(2)
                    .allSatisfy(s -> assertThat(s.getParentSpanId()).isEqualTo(turn.getSpanId()));
            assertThat(finished).filteredOn(s -> s.getName().startsWith("chat")).isNotEmpty()
                    .allSatisfy(s -> assertThat(s.getParentSpanId()).isEqualTo(turn.getSpanId()));
        }
    }
}
