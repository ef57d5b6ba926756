package io.github.conversationstore.examples;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.errors.AnthropicException;
import com.anthropic.errors.AnthropicIoException;
import com.anthropic.errors.AnthropicInvalidDataException;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.SseException;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.core.ObjectMappers;
import com.anthropic.models.messages.ToolChoiceAny;
import com.anthropic.models.messages.ToolChoiceAuto;
import com.anthropic.models.messages.ToolChoiceTool;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.StreamingReplyProvider;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.Summarizer;
import io.github.conversationstore.spi.TokenCounter;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.ToolSpec;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A language tutor on Claude, through the official Anthropic Java SDK.
 *
 * <p>The reply is structured output: the request offers one tool, {@value #TOOL}, with the fields
 * {@code response}, {@code grammarSuggestion} and {@code translation}, and forces Claude to call it.
 * A reply that comes back as plain text instead (or with a malformed tool input) keeps its text with
 * empty extra fields. A refusal or a reply cut off at {@code max_tokens} is reported as a
 * non-retryable {@link ReplyProviderException}, never stored as if it were a reply. The SDK itself
 * retries 408/409/429/5xx (including 529, overloaded) with backoff; what still fails is reported as
 * retryable for the turn service. The window goes to Claude as content blocks
 * ({@link ClaudeMessages}): tool calls and results, images, documents and thinking blocks with
 * their signatures, so a stored conversation with tool use is sent back as it is. The reply's model
 * and stop reason are stored in its metadata.
 *
 * <p>It streams ({@link StreamingReplyProvider}): a turn service shows the reply's text while Claude
 * writes it, and stores the same reply {@link #reply} would have given.
 */
public final class ClaudeReplyProvider implements StreamingReplyProvider, AutoCloseable {
    /** The name of the forced tool that carries the structured reply. */
    static final String TOOL = "tutor_reply";
    static final String DEFAULT_MODEL = "claude-sonnet-4-5";

    private final AnthropicClient client;
    private final String model;
    private final long maxTokens;
    private final long thinkingBudget;

    private ClaudeReplyProvider(AnthropicClient client, String model, long maxTokens, long thinkingBudget) {
        this.client = client;
        this.model = model;
        this.maxTokens = maxTokens;
        this.thinkingBudget = thinkingBudget;
    }

    /**
     * Starts configuring a provider.
     *
     * @return a builder; an API key is required
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "claude";
    }

    @Override
    public Reply reply(ReplyRequest request) {
        MessageCreateParams params = params(request, false);
        return toReply(call(() -> client.messages().create(params)));
    }

    /**
     * Streams the reply with the SDK's streaming call: the reply's text goes to {@code deltas} as
     * Claude writes it (the structured reply's {@code response} field, decoded from the tool input
     * as it streams, or the text of a plain reply), and the events are accumulated into the whole
     * message, from which the reply is built as {@link #reply} builds it: the same text,
     * attributes, tool calls, usage, model and stop reason. An exception thrown by {@code deltas}
     * (the turn was stopped) closes the stream and propagates as it is.
     *
     * @param request the request
     * @param deltas receives the reply's text as it comes
     * @return the reply
     * @throws ReplyProviderException if Claude could not be reached, answered an error (before or
     *     during the stream), refused, or was cut off at {@code max_tokens}
     * @since 0.3
     */
    @Override
    public Reply stream(ReplyRequest request, Consumer<String> deltas) {
        MessageCreateParams params = params(request, true);
        ClaudeStreamText text = new ClaudeStreamText(deltas);
        return toReply(call(() -> {
            MessageAccumulator accumulator = MessageAccumulator.create();
            try (StreamResponse<RawMessageStreamEvent> events = client.messages().createStreaming(params)) {
                events.stream().forEach(event -> text.accept(accumulator.accumulate(event)));
            }
            return accumulator.message();
        }));
    }

    /** Runs one SDK call, its failures as {@link ReplyProviderException}s that say whether a retry may help. */
    private static com.anthropic.models.messages.Message call(Supplier<com.anthropic.models.messages.Message> sdkCall) {
        try {
            return sdkCall.get();
        } catch (SseException e) {
            // an error event in the middle of the stream (overloaded, api_error): the call may succeed again
            throw new ReplyProviderException("Claude's stream ended with an error: "
                    + e.apiMessage().orElse(String.valueOf(e.getMessage())), true, e);
        } catch (AnthropicServiceException e) {
            int status = e.statusCode();
            boolean retryable = status == 408 || status == 409 || status == 429 || status >= 500;
            throw new ReplyProviderException("Claude answered HTTP " + status + ": "
                    + e.apiMessage().orElse(String.valueOf(e.getMessage())), retryable, e);
        } catch (AnthropicIoException e) {
            throw new ReplyProviderException("could not reach Claude: " + e.getMessage(), true, e);
        } catch (AnthropicInvalidDataException e) {
            throw new ReplyProviderException("Claude's response was not valid JSON: " + e.getMessage(), true, e);
        } catch (AnthropicException e) {
            throw new ReplyProviderException("Claude call failed: " + e.getMessage(), false, e);
        }
    }

    /**
     * The request's parameters; when streaming, the structured reply tool's input streams eagerly
     * ({@code eager_input_streaming}: without it the API sends a tool's input a whole field at a
     * time, so the reply's text would come in one piece).
     */
    MessageCreateParams params(ReplyRequest request, boolean streaming) {
        // system messages of the window (a summary of the earlier conversation, with compaction)
        // go to the system prompt: the messages Claude gets are user and assistant turns
        StringBuilder system = new StringBuilder(Summarizer.MODE.equals(request.mode())
                ? "You summarize conversations between a language student and a tutor, for the tutor's later use."
                : TutorPrompt.system(request.language()));
        request.window().stream().filter(m -> m.role() == Role.SYSTEM)
                .forEach(m -> system.append("\n\nSummary of the conversation before the messages below:\n").append(m.text()));
        MessageCreateParams.Builder params = MessageCreateParams.builder()
                .model(model)
                .maxTokens(maxTokens)
                .system(system.toString());
        ClaudeMessages.toParams(request.conversation()).forEach(params::addMessage);
        if (Summarizer.MODE.equals(request.mode())) {
            return params.build(); // plain text, no tools
        }
        params.addTool(streaming ? tutorTool().toBuilder().eagerInputStreaming(true).build() : tutorTool());
        for (ToolSpec spec : request.tools()) {
            params.addTool(claudeTool(spec));
        }
        if (thinkingBudget > 0) {
            // extended thinking only works with the model choosing freely: a plain text reply is kept as it is
            params.enabledThinking(thinkingBudget).toolChoice(ToolChoiceAuto.builder().build());
        } else if (request.tools().isEmpty()) {
            params.toolChoice(ToolChoiceTool.builder().name(TOOL).build());
        } else {
            // a real tool, or the final reply through tutor_reply
            params.toolChoice(ToolChoiceAny.builder().build());
        }
        return params.build();
    }

    private static Tool claudeTool(ToolSpec spec) {
        try {
            return Tool.builder().name(spec.name()).description(spec.description())
                    .inputSchema(ObjectMappers.jsonMapper().readValue(spec.inputSchema(), Tool.InputSchema.class)).build();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("inputSchema of tool '" + spec.name() + "' is not valid JSON", e);
        }
    }

    static Tool tutorTool() {
        Map<String, Object> text = Map.of("type", "string");
        return Tool.builder()
                .name(TOOL)
                .description("Give the tutor's reply to the student's last message.")
                .inputSchema(Tool.InputSchema.builder()
                        .properties(Tool.InputSchema.Properties.builder()
                                .putAdditionalProperty("response", JsonValue.from(Map.of("type", "string",
                                        "description", "Your reply, in the language being learned.")))
                                .putAdditionalProperty("grammarSuggestion", JsonValue.from(Map.of("type", "string",
                                        "description", "A correction of the student's last message, or an empty string if it was correct.")))
                                .putAdditionalProperty("translation", JsonValue.from(Map.of("type", "string",
                                        "description", "Your reply translated into English.")))
                                .build())
                        .required(List.of("response", "grammarSuggestion", "translation"))
                        .build())
                .build();
    }

    static Reply toReply(com.anthropic.models.messages.Message response) {
        StopReason stop = response.stopReason().orElse(null);
        if (StopReason.REFUSAL.equals(stop)) {
            throw new ReplyProviderException("Claude declined to answer (stop reason: refusal)", false, null);
        }
        if (StopReason.MAX_TOKENS.equals(stop)) {
            throw new ReplyProviderException("Claude's reply was cut off at max_tokens ("
                    + response.usage().outputTokens() + " tokens): raise maxTokens", false, null);
        }
        TokenUsage usage = new TokenUsage(response.usage().inputTokens(), response.usage().outputTokens());
        String model = response.model().asString();
        String finish = stop == null ? "unknown" : stop.asString();
        List<Part> parts = ClaudeMessages.toParts(response.content());
        if (parts.stream().anyMatch(p -> p instanceof Part.ToolCall && !TOOL.equals(((Part.ToolCall) p).name()))) {
            // Claude asks for tools: the turn service stores the calls, runs them and asks again
            parts.removeIf(p -> p instanceof Part.ToolCall && TOOL.equals(((Part.ToolCall) p).name()));
            return new Reply(parts, Map.of(), usage, Map.of()).withModel(model).withFinishReason(finish);
        }
        StringBuilder plain = new StringBuilder();
        Map<String, Object> structured = null;
        for (ContentBlock block : response.content()) {
            if (block.isToolUse() && TOOL.equals(block.toolUse().orElseThrow().name())) {
                structured = toolInput(block.toolUse().orElseThrow()._input());
            } else if (block.isText()) {
                plain.append(block.text().orElseThrow().text());
            }
        }
        String responseText = structured == null ? null : text(structured.get("response"));
        if (responseText == null || responseText.isBlank()) {
            if (plain.toString().isBlank()) {
                throw new ReplyProviderException("Claude's reply had no text", false, null);
            }
            // plain or malformed: keep the text
            return Reply.of(plain.toString().strip()).withUsage(usage).withModel(model).withFinishReason(finish);
        }
        Reply reply = Reply.of(responseText.strip()).withUsage(usage).withModel(model).withFinishReason(finish);
        String grammar = text(structured.get("grammarSuggestion"));
        if (grammar != null && !grammar.isBlank()) {
            reply = reply.withAttribute(TutorAttributes.GRAMMAR_SUGGESTION, grammar.strip());
        }
        String translation = text(structured.get("translation"));
        if (translation != null && !translation.isBlank()) {
            reply = reply.withAttribute(TutorAttributes.TRANSLATION, translation.strip());
        }
        return reply;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> toolInput(JsonValue input) {
        try {
            Object value = input.convert(Object.class);
            return value instanceof Map ? (Map<String, Object>) value : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String text(Object value) {
        return value instanceof String ? (String) value : null;
    }

    /** Closes the SDK client. */
    @Override
    public void close() {
        client.close();
    }

    /** Configures a {@link ClaudeReplyProvider}. */
    public static final class Builder {
        private String apiKey;
        private String baseUrl;
        private String model = DEFAULT_MODEL;
        private long maxTokens = 1024;
        private long thinkingBudget;
        private Duration timeout = Duration.ofSeconds(60);
        private int maxRetries = 2;

        private Builder() {}

        /**
         * Reads the API key from {@code ANTHROPIC_API_KEY}, and the model from {@code CLAUDE_MODEL}
         * if set.
         *
         * @return this builder
         */
        public Builder fromEnv() {
            return fromEnv(System.getenv());
        }

        /**
         * Reads the API key from {@code ANTHROPIC_API_KEY}, and the model from {@code CLAUDE_MODEL}
         * if set, in this map of environment variables.
         *
         * @param env the environment
         * @return this builder
         */
        public Builder fromEnv(Map<String, String> env) {
            this.apiKey = env.get("ANTHROPIC_API_KEY");
            String envModel = env.get("CLAUDE_MODEL");
            if (envModel != null && !envModel.isBlank()) {
                this.model = envModel;
            }
            return this;
        }

        /**
         * Sets the API key.
         *
         * @param value the key
         * @return this builder
         */
        public Builder apiKey(String value) {
            this.apiKey = Objects.requireNonNull(value, "apiKey");
            return this;
        }

        /**
         * Sends requests to another base URL (a proxy, or a test stub).
         *
         * @param value the base URL
         * @return this builder
         */
        public Builder baseUrl(String value) {
            this.baseUrl = Objects.requireNonNull(value, "baseUrl");
            return this;
        }

        /**
         * Sets the model (default {@value ClaudeReplyProvider#DEFAULT_MODEL}).
         *
         * @param value a model id
         * @return this builder
         */
        public Builder model(String value) {
            this.model = Objects.requireNonNull(value, "model");
            return this;
        }

        /**
         * Sets the most tokens a reply may take (default 1024).
         *
         * @param value positive
         * @return this builder
         */
        public Builder maxTokens(long value) {
            if (value <= 0) {
                throw new IllegalArgumentException("maxTokens must be positive, was " + value);
            }
            this.maxTokens = value;
            return this;
        }

        /**
         * Turns extended thinking on with this budget of tokens (default: off). Thinking blocks come
         * back as {@link Part.Reasoning} parts of tool-calling steps, with their signatures, and are
         * sent back as they came. With thinking on, Claude is not forced to use the structured reply
         * tool (the API does not allow it), so a reply may come as plain text.
         *
         * @param tokens at least 1024, below {@link #maxTokens(long)}
         * @return this builder
         */
        public Builder thinkingBudgetTokens(long tokens) {
            if (tokens < 1024) {
                throw new IllegalArgumentException("thinkingBudgetTokens must be at least 1024, was " + tokens);
            }
            this.thinkingBudget = tokens;
            return this;
        }

        /**
         * Sets the SDK's timeout per HTTP request (default 60 s).
         *
         * @param value positive
         * @return this builder
         */
        public Builder timeout(Duration value) {
            this.timeout = Objects.requireNonNull(value, "timeout");
            return this;
        }

        /**
         * Sets how often the SDK retries 408/409/429/5xx and connection failures (default 2).
         *
         * @param value zero or more
         * @return this builder
         */
        public Builder maxRetries(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("maxRetries must not be negative, was " + value);
            }
            this.maxRetries = value;
            return this;
        }

        /**
         * Builds the provider.
         *
         * @return the provider
         * @throws IllegalStateException if no API key is set
         */
        public ClaudeReplyProvider build() {
            if (apiKey == null || apiKey.isBlank()) {
                throw new IllegalStateException("an API key is required: set ANTHROPIC_API_KEY");
            }
            AnthropicOkHttpClient.Builder client = AnthropicOkHttpClient.builder()
                    .apiKey(apiKey)
                    .timeout(timeout)
                    .maxRetries(maxRetries);
            if (baseUrl != null) {
                client.baseUrl(baseUrl);
            }
            return new ClaudeReplyProvider(client.build(), model, maxTokens, thinkingBudget);
        }
    }

    /** For log lines: the model in use. */
    /** Claude's own token count for windows and compaction (see {@link ClaudeTokenCounter}). */
    TokenCounter tokenCounter() {
        return new ClaudeTokenCounter(client, model);
    }

    String model() {
        return model.toLowerCase(Locale.ROOT);
    }
}
