/**
 * The service-provider interfaces: what an application or an integration implements to plug into
 * the store and the turn service.
 *
 * <ul>
 *   <li>{@link io.github.conversationstore.spi.ReplyProvider}: how a
 *       {@link io.github.conversationstore.TurnService} obtains the assistant's reply to a user
 *       message (from an LLM, a rules engine, a script); it reads a
 *       {@link io.github.conversationstore.spi.ReplyRequest}, answers with a
 *       {@link io.github.conversationstore.spi.Reply} (with its
 *       {@link io.github.conversationstore.spi.TokenUsage}) and reports failures with
 *       {@link io.github.conversationstore.spi.ReplyProviderException}.</li>
 *   <li>{@link io.github.conversationstore.spi.Tool}: a tool the model may call in a turn, described
 *       by its {@link io.github.conversationstore.spi.ToolSpec}, run with a
 *       {@link io.github.conversationstore.spi.ToolInvocation}, answering with a
 *       {@link io.github.conversationstore.spi.ToolOutput} or a
 *       {@link io.github.conversationstore.spi.ToolException}; its arguments are parsed with
 *       {@link io.github.conversationstore.spi.StrictJson}.</li>
 *   <li>{@link io.github.conversationstore.spi.StoreListener}: hears what the stores and the turn
 *       service do (appends, reads, retries, moves, erasures, sweeps, turns, provider and tool
 *       calls), for metrics, traces and logs; the {@code conversation-store-observability} module
 *       binds it to Micrometer and OpenTelemetry.</li>
 *   <li>{@link io.github.conversationstore.spi.KeyProvider}: wraps and unwraps the data keys of
 *       encrypted conversations under a key-encryption key (a KMS, or
 *       {@link io.github.conversationstore.LocalKeyProvider}), as a
 *       {@link io.github.conversationstore.spi.WrappedKey}, reporting failures with
 *       {@link io.github.conversationstore.spi.KeyProviderException}; see its documentation for
 *       rotation and how a KMS plugs in.</li>
 * </ul>
 *
 * <h2>Writing a reply provider</h2>
 * <ol>
 *   <li>Implement {@link io.github.conversationstore.spi.ReplyProvider#reply(ReplyRequest)}: read the
 *       language, the recent window of the conversation and the new user message from the
 *       {@link io.github.conversationstore.spi.ReplyRequest}, and return a
 *       {@link io.github.conversationstore.spi.Reply} (text, optional grammar suggestion,
 *       translation, attributes, token usage).</li>
 *   <li>Report failures by throwing {@link io.github.conversationstore.spi.ReplyProviderException},
 *       saying whether a retry may help (rate limits, overload, timeouts: yes; a refusal or an
 *       invalid request: no). The turn service retries retryable failures with backoff and a
 *       timeout per call; any other exception is treated as a non-retryable failure.</li>
 *   <li>Make it thread-safe: one provider serves every session.</li>
 *   <li>Either pass it to {@code TurnService.builder(store).provider(...)}, or register it for
 *       {@link java.util.ServiceLoader} discovery ({@code TurnService.builder(store).discoverProvider(name)}):
 *       on the module path with {@code provides io.github.conversationstore.spi.ReplyProvider with
 *       your.Provider;} in your {@code module-info.java}, on the class path with a file
 *       {@code META-INF/services/io.github.conversationstore.spi.ReplyProvider} naming your class,
 *       which then needs a public no-argument constructor.</li>
 * </ol>
 *
 * <h2>Tools</h2>
 * <p>A provider whose model uses tools reads the offered {@link io.github.conversationstore.spi.ToolSpec}s
 * from {@link io.github.conversationstore.spi.ReplyRequest#tools()} and the turn's earlier calls and
 * results from {@link io.github.conversationstore.spi.ReplyRequest#steps()} (or all of it, in order,
 * from {@link io.github.conversationstore.spi.ReplyRequest#conversation()}), and answers with a
 * {@link io.github.conversationstore.spi.Reply} holding {@link io.github.conversationstore.Part.ToolCall}
 * parts to ask for tools, or with text to end the turn. A tool implements
 * {@link io.github.conversationstore.spi.Tool}: it runs at least once per call, with an
 * {@linkplain io.github.conversationstore.spi.ToolInvocation#idempotencyKey() idempotency key} that
 * stays the same when a resumed turn runs the call again; it reports failures with
 * {@link io.github.conversationstore.spi.ToolException}, saying whether a retry may help.
 *
 * <p>The SPI depends only on the public API of {@code io.github.conversationstore}.
 *
 * @since 0.1.0
 */
package io.github.conversationstore.spi;
