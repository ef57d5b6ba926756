package io.github.conversationstore.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.ScriptedReplyProvider;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.spi.ReplyProvider;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import org.junit.jupiter.api.Test;

/** The README's "Observability" example, compiled and run. */
class ReadmeExampleTest {
    @Test
    void readmeExample_wiresBothBindingsOnTheStoreAndTheTurnService() {
        try (EmbeddedMongo server = new EmbeddedMongo(); Telemetry telemetry = new Telemetry()) {
            String connectionString = server.connectionString();
            MeterRegistry registry = telemetry.registry;
            OpenTelemetry openTelemetry = telemetry.openTelemetry;
            ReplyProvider provider = ScriptedReplyProvider.echo();

            // README: begin
            MicrometerStoreListener meters = MicrometerStoreListener.builder(registry).tag("store", "tutor").build();
            OpenTelemetryStoreListener spans = OpenTelemetryStoreListener.builder(openTelemetry).build();

            try (ConversationStore store = MongoConversationStore.builder()
                    .connectionString(connectionString)
                    .database("tutor")
                    .listener(meters)                // appends, reads, races, retries, moves, erasures
                    .listener(spans)
                    .build();
                    TurnService turns = TurnService.builder(store)
                            .provider(provider)
                            .listener(meters)        // the same instances: turns, provider and tool calls
                            .listener(spans)
                            .build()) {
                turns.respond("session-42", "es", "¿Qué hora es?", "turn-8");
            }
            // README: end

            assertThat(telemetry.timed(MicrometerStoreListener.TURN, "store", "tutor")).isEqualTo(1);
            assertThat(telemetry.timed(MicrometerStoreListener.APPEND, "store", "tutor")).isEqualTo(2);
            assertThat(telemetry.spans("invoke_agent")).hasSize(1);
            assertThat(telemetry.spans("appendMessages")).hasSize(2)
                    .allSatisfy(s -> assertThat(s.getParentSpanId()).isEqualTo(telemetry.spans("invoke_agent").get(0).getSpanId()));
        }
    }
}
