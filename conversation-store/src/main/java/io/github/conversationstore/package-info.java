/**
 * Concurrency-safe, exactly-once, ordered and unbounded storage of chat conversations in MongoDB.
 *
 * <p>{@link io.github.conversationstore.ConversationStore} is the API: atomic, exactly-once appends
 * with sequence numbers, the prompt window, pages, the header, erasure and per-session leases.
 * {@link io.github.conversationstore.MongoConversationStore} implements it on the MongoDB Java
 * driver; {@link io.github.conversationstore.InMemoryConversationStore} implements the same rules in
 * memory, for tests. {@link io.github.conversationstore.TurnService} runs conversation turns with a
 * reply provider (see the {@code io.github.conversationstore.spi} package). How each guarantee is
 * kept is described in
 * <a href="https://github.com/conversationstore/conversation-store/blob/main/docs/ARCHITECTURE.md">ARCHITECTURE.md</a>,
 * how it is tested in
 * <a href="https://github.com/conversationstore/conversation-store/blob/main/docs/RELIABILITY.md">RELIABILITY.md</a>.
 *
 * <p>A first use (this example is compiled and run by the project's tests):
 *
 * <pre>{@code
 * try (ConversationStore store = MongoConversationStore.builder()
 *         .connectionString(connectionString) // e.g. "mongodb://localhost:27017"
 *         .database("tutor")
 *         .build()) {
 *
 *     // One atomic, exactly-once append: the user's message and the reply, contiguous.
 *     AppendResult result = store.appendMessages("session-42", "es", List.of(
 *             Message.user("Yo soy cansado"),
 *             Message.assistant("¡Casi! Se dice: estoy cansado.")
 *                     .withAttribute(Message.GRAMMAR_SUGGESTION, "estar for states: estoy cansado")
 *                     .withAttribute(Message.TRANSLATION, "Almost! You say: I am tired.")));
 *
 *     // An idempotency key makes a retried request harmless.
 *     AppendRequest retryable = AppendRequest.builder("session-42", "es")
 *             .appendId("turn-7")
 *             .messages(Message.user("¿Y mañana?"))
 *             .build();
 *     store.appendMessages(retryable);
 *     AppendResult again = store.appendMessages(retryable); // again.duplicate() == true
 *
 *     // The prompt window: the last 20 messages, oldest first, with sequence numbers.
 *     List<StoredMessage> window = store.recentMessages("session-42", 20);
 *     ConversationHeader header = store.findConversation("session-42").orElseThrow();
 * }
 * }</pre>
 *
 * <p>Invalid arguments throw {@link java.lang.IllegalArgumentException} naming the argument and the
 * rule it breaks (a null one throws {@link java.lang.NullPointerException} naming it); every other
 * failure is a {@link io.github.conversationstore.ConversationStoreException}, never a driver
 * exception.
 *
 * @since 0.1.0
 */
package io.github.conversationstore;
