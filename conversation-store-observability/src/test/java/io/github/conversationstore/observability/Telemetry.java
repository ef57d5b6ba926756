package io.github.conversationstore.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.ArrayList;
import java.util.List;

/** Both bindings over in-memory backends: a simple meter registry and an in-memory span exporter. */
final class Telemetry implements AutoCloseable {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final SdkTracerProvider tracerProvider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    final OpenTelemetrySdk openTelemetry = OpenTelemetrySdk.builder().setTracerProvider(tracerProvider).build();
    final MicrometerStoreListener meters = MicrometerStoreListener.create(registry);
    final OpenTelemetryStoreListener spans;

    Telemetry() {
        this(false);
    }

    Telemetry(boolean exposeConversationId) {
        spans = OpenTelemetryStoreListener.builder(openTelemetry).exposeConversationId(exposeConversationId).build();
    }

    /** How many events the timers of this name recorded, over all their tags. */
    long timed(String name, String... tags) {
        return registry.find(name).tags(tags).timers().stream().mapToLong(Timer::count).sum();
    }

    /** The sum of the counters of this name, over all their tags. */
    double counted(String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
    }

    List<SpanData> spans() {
        return exporter.getFinishedSpanItems();
    }

    List<SpanData> spans(String name) {
        return spans().stream().filter(s -> s.getName().equals(name)).toList();
    }

    /** Every string a meter shows: names, tag keys and values, descriptions, units. */
    List<String> meterStrings() {
        List<String> out = new ArrayList<>();
        for (Meter meter : registry.getMeters()) {
            Meter.Id id = meter.getId();
            out.add(id.getName());
            out.add(String.valueOf(id.getDescription()));
            out.add(String.valueOf(id.getBaseUnit()));
            id.getTags().forEach(t -> {
                out.add(t.getKey());
                out.add(t.getValue());
            });
        }
        return out;
    }

    /** Every string a span shows: names, attribute keys and values, events and their attributes, status. */
    List<String> spanStrings() {
        List<String> out = new ArrayList<>();
        for (SpanData span : spans()) {
            out.add(span.getName());
            out.add(span.getStatus().toString());
            span.getAttributes().forEach((k, v) -> {
                out.add(k.getKey());
                out.add(String.valueOf(v));
            });
            span.getEvents().forEach(e -> {
                out.add(e.getName());
                e.getAttributes().forEach((k, v) -> {
                    out.add(k.getKey());
                    out.add(String.valueOf(v));
                });
            });
            out.add(span.toString());
        }
        return out;
    }

    static <T> T attribute(SpanData span, AttributeKey<T> key) {
        return span.getAttributes().get(key);
    }

    @Override
    public void close() {
        tracerProvider.close();
        registry.close();
    }
}
