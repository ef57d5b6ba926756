/**
 * Observability bindings for conversation-store: {@link io.github.conversationstore.spi.StoreListener}s
 * that turn the store's and the turn service's events into Micrometer meters
 * ({@link io.github.conversationstore.observability.MicrometerStoreListener}) and OpenTelemetry spans
 * ({@link io.github.conversationstore.observability.OpenTelemetryStoreListener}).
 *
 * <p>Micrometer and the OpenTelemetry API are optional: the application brings the one it uses.
 *
 * @since 0.2.0
 */
module io.github.conversationstore.observability {
    requires transitive io.github.conversationstore;
    requires static transitive micrometer.core;
    requires static transitive io.opentelemetry.api;
    requires static transitive io.opentelemetry.context;

    exports io.github.conversationstore.observability;
}
