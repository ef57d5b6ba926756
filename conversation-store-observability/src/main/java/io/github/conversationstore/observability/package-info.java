/**
 * Micrometer and OpenTelemetry bindings of the store's listener SPI.
 *
 * <p>Register a binding on every builder whose events it should see: the store's
 * ({@code MongoConversationStore.builder().listener(l)}, {@code InMemoryConversationStore.builder().listener(l)})
 * and the turn service's ({@code TurnService.builder(store).listener(l)}). One instance may be
 * registered on several builders; both bindings are thread-safe.
 *
 * <p>Neither binding puts content anywhere: the events they read carry none (no message text, part,
 * attribute or metadata value, no exception message), meters are tagged only with values of low
 * cardinality (outcomes, kinds, provider, model and tool names), and a session id reaches a span only
 * when both the builder of the store or turn service ({@code exposeSessionIds(true)}) and the
 * OpenTelemetry binding ({@code exposeConversationId(true)}) say so.
 *
 * @since 0.2.0
 */
package io.github.conversationstore.observability;
