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
 *                     .withAttribute("grammarSuggestion", "estar for states: estoy cansado")
 *                     .withAttribute("translation", "Almost! You say: I am tired.")));
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
 * <h2>A map of the classes, for contributors</h2>
 * <ul>
 *   <li><b>The API</b>: {@code ConversationStore} (with its public limits), {@code AppendRequest},
 *       {@code AppendResult}, {@code Message}, {@code Part}, {@code Role}, {@code StoredMessage},
 *       {@code ConversationHeader}, {@code Owner}, {@code OwnerErasure}, {@code ToolPairs},
 *       {@code MetadataKeys}, and the exceptions under {@code ConversationStoreException}.</li>
 *   <li><b>Both stores</b>: {@code StoreGate} (package-private) owns every public operation: argument
 *       checks ({@code Checks}), limits ({@code Limits}), observation ({@code Observers}), listing
 *       and erasing by owner; it calls each store's hooks. {@code StoreBuilder} holds the settings
 *       both builders share.</li>
 *   <li><b>The in-memory store</b>: {@code InMemoryConversationStore}, one class.</li>
 *   <li><b>The MongoDB store</b>: {@code MongoConversationStore} (hooks and builder, with
 *       {@code MongoLayoutBuilder} and the checked {@code MongoSettings}), {@code MongoContext}
 *       (collections, deadlines, retries, error translation, with {@code MongoFailure} classifying
 *       driver errors), {@code MongoAppender} (the one-command
 *       append and its resolution), {@code MongoArchiveMover} (head to archive),
 *       {@code MongoReader} (windows, pages, headers, listings), {@code MongoLeases},
 *       {@code MongoErasure} (tombstones, the sweep), {@code MongoAdoption} (the original backend's
 *       documents), {@code MongoIndexes}, {@code ServerClock} (the server's time); the documents'
 *       fields in {@code HeadDocument}, messages as BSON in {@code MessageCodec}, {@code PartForm}
 *       and {@code JsonValues}, append-id fingerprints in {@code AppendKeys}.</li>
 *   <li><b>Encryption</b> (both stores): {@code MessageCipher} seals and opens a stored message
 *       document (the one place that encrypts content), over {@code Aead} (AES-256-GCM);
 *       {@code DataKeys} calls the key provider and translates its failures; {@code DataKey} is
 *       one conversation life's key; {@code MongoDataKeys} keeps the MongoDB store's keys in the
 *       heads (created once per life, guarded in every append, destroyed by the tombstone);
 *       {@code LocalKeyProvider} and {@code EncryptionException} are API.</li>
 *   <li><b>Turns</b>: {@code TurnService} (the public face and its builder, with
 *       {@code ToolLoopBuilder}, building {@code TurnSettings}), {@code TurnRun} (one turn in
 *       progress), {@code CallRunner} (a timed, retried call of the provider or a tool),
 *       {@code StepIds} (the step-id scheme), {@code PromptChars}, {@code ProviderDiscovery},
 *       {@code AbandonedLeases}, {@code ScriptedReplyProvider} (a provider for tests and demos);
 *       {@code TurnRequest}, {@code TurnResult} and their exceptions are
 *       API.</li>
 *   <li><b>Internal</b>: {@code io.github.conversationstore.internal} holds what the adapters share
 *       (exported only to them); the SPIs are in {@code io.github.conversationstore.spi}.</li>
 * </ul>
 *
 * @since 0.1.0
 */
package io.github.conversationstore;
