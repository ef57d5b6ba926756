package io.github.conversationstore.observability;

import io.github.conversationstore.spi.StoreListener;
import io.github.conversationstore.spi.TokenUsage;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * A {@link StoreListener} that records OpenTelemetry spans: one per append, read, erasure, sweep,
 * move, turn, provider call and tool call, following the semantic conventions for databases
 * ({@code db.system.name=mongodb}, {@code db.operation.name}) and for generative AI
 * ({@code gen_ai.operation.name}, {@code gen_ai.provider.name}, {@code gen_ai.response.model},
 * {@code gen_ai.usage.input_tokens}, {@code gen_ai.usage.output_tokens}, {@code gen_ai.tool.name},
 * {@code gen_ai.conversation.id} when exposed).
 *
 * <!-- snippet file="io/github/conversationstore/observability/examples/ObservabilityExamplesTest.java" region="opentelemetry" -->
 * <pre>{@code
 * OpenTelemetryStoreListener spans = OpenTelemetryStoreListener.builder(openTelemetry).build();
 * ConversationStore store = MongoConversationStore.builder()
 *         .connectionString(connectionString)
 *         .database("tutor")
 *         .listener(spans)
 *         .build();
 * TurnService turns = TurnService.builder(store).provider(provider).listener(spans).build();
 * turns.respond("session-42", "es", "¿Qué hora es?", "turn-8");
 * // an invoke_agent span, with the turn's appendMessages and chat spans among its children
 * }</pre>
 *
 * <p>Events arrive after the fact, with their start and duration: spans get those as explicit
 * timestamps, and the span current when the event arrives (the application's own, say an HTTP
 * request's) as their parent. A turn is the exception: its start arrives before its work, on the
 * thread that does it, so its span ({@code invoke_agent}) is started then and made current until
 * the turn ends; the appends, reads, provider calls and tool calls of the turn become its children.
 *
 * <p>Races absorbed and retries become events of the span of their operation (the append or read
 * that follows them on the same thread), moves to the archive child spans of their append; lease
 * waits and the retries of other operations (leases) become events of the current span. Failures
 * set the span's status to error and {@code error.type} to the exception's simple class name (or
 * {@code error_result} for a tool call whose failure the model reads).
 *
 * <p>No content: events carry none, and the session id becomes {@code gen_ai.conversation.id} only
 * with {@link Builder#exposeConversationId(boolean)} and a store or turn service built with
 * {@code exposeSessionIds(true)}. A tool name becomes {@code gen_ai.tool.name} only when a tool of
 * that name ran (a name the model made up could carry anything).
 *
 * <p>Thread-safe; register one instance on the store and the turn service alike.
 *
 * @since 0.2.0
 */
public final class OpenTelemetryStoreListener implements StoreListener {
    /**
     * The instrumentation scope name of the tracer.
     *
     * @since 0.2.0
     */
    public static final String INSTRUMENTATION_NAME = "io.github.conversationstore";

    static final AttributeKey<String> DB_SYSTEM_NAME = AttributeKey.stringKey("db.system.name");
    static final AttributeKey<String> DB_OPERATION_NAME = AttributeKey.stringKey("db.operation.name");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<String> GEN_AI_OPERATION_NAME = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> GEN_AI_PROVIDER_NAME = AttributeKey.stringKey("gen_ai.provider.name");
    static final AttributeKey<String> GEN_AI_RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    static final AttributeKey<Long> GEN_AI_INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> GEN_AI_OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<String> GEN_AI_TOOL_NAME = AttributeKey.stringKey("gen_ai.tool.name");
    static final AttributeKey<String> GEN_AI_CONVERSATION_ID = AttributeKey.stringKey("gen_ai.conversation.id");
    static final AttributeKey<Long> MESSAGES = AttributeKey.longKey("conversation_store.messages");
    static final AttributeKey<Long> BYTES = AttributeKey.longKey("conversation_store.bytes");
    static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("conversation_store.attempts");
    static final AttributeKey<Boolean> DUPLICATE = AttributeKey.booleanKey("conversation_store.duplicate");
    static final AttributeKey<Boolean> CREATED = AttributeKey.booleanKey("conversation_store.created");
    static final AttributeKey<String> READ_KIND = AttributeKey.stringKey("conversation_store.read.kind");
    static final AttributeKey<Long> CHUNKS = AttributeKey.longKey("conversation_store.chunks");
    static final AttributeKey<Long> STEPS = AttributeKey.longKey("conversation_store.steps");
    static final AttributeKey<Boolean> REPLAYED = AttributeKey.booleanKey("conversation_store.replayed");
    static final AttributeKey<Long> TOOL_CALLS = AttributeKey.longKey("conversation_store.tool_calls");
    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("conversation_store.operation");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("conversation_store.attempt");
    static final AttributeKey<String> REASON = AttributeKey.stringKey("conversation_store.reason");
    static final AttributeKey<Double> WAITED = AttributeKey.doubleKey("conversation_store.waited");
    static final AttributeKey<Boolean> BUSY = AttributeKey.booleanKey("conversation_store.busy");

    /** Span event of a race absorbed. */
    static final String RACE_ABSORBED_EVENT = "conversation_store.race_absorbed";
    /** Span event of a retry. */
    static final String RETRY_EVENT = "conversation_store.retry";
    /** Span event of a lease wait. */
    static final String LEASE_WAIT_EVENT = "conversation_store.lease_wait";
    /** The events of one thread waiting for the span of their operation; a bound against leaks. */
    private static final int MAX_PENDING = 64;

    private final Tracer tracer;
    private final boolean exposeConversationId;
    /** This thread's turns under way, innermost last. */
    private final ThreadLocal<ArrayDeque<OpenTurn>> turns = ThreadLocal.withInitial(ArrayDeque::new);
    /** This thread's races, retries and moves, waiting for the span of their operation. */
    private final ThreadLocal<ArrayDeque<Pending>> pending = new ThreadLocal<>();

    private record OpenTurn(Span span, Scope scope) {}

    /** A race, retry or move of {@code operation} ({@code append}, {@code read}, ...), not yet in a span. */
    private record Pending(String operation, String name, Attributes attributes, Instant at, Duration duration) {}

    private OpenTelemetryStoreListener(Builder b) {
        this.tracer = b.openTelemetry.getTracer(INSTRUMENTATION_NAME);
        this.exposeConversationId = b.exposeConversationId;
    }

    /**
     * Starts a builder that records through this OpenTelemetry instance.
     *
     * @param openTelemetry the OpenTelemetry instance (say {@code GlobalOpenTelemetry.get()})
     * @return a builder
     * @throws NullPointerException if {@code openTelemetry} is null
     * @since 0.2.0
     */
    public static Builder builder(OpenTelemetry openTelemetry) {
        return new Builder(openTelemetry);
    }

    /**
     * Records through this OpenTelemetry instance, without conversation ids.
     *
     * @param openTelemetry the OpenTelemetry instance
     * @return the listener
     * @throws NullPointerException if {@code openTelemetry} is null
     * @since 0.2.0
     */
    public static OpenTelemetryStoreListener create(OpenTelemetry openTelemetry) {
        return builder(openTelemetry).build();
    }

    /**
     * Records an {@code appendMessages} span, with the races and retries of the append as events
     * and its moves to the archive as child spans.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onAppend(Append event) {
        Span span = dbSpan("appendMessages", event.sessionId(), event.start())
                .setAttribute(MESSAGES, (long) event.messages())
                .setAttribute(DUPLICATE, event.duplicate())
                .setAttribute(CREATED, event.created())
                .setAttribute(ATTEMPTS, (long) event.attempts())
                .startSpan();
        drainPending("append", span);
        end(span, event.outcome(), event.start(), event.duration());
    }

    /**
     * Records a {@code recentMessages}, {@code readMessages} or {@code findConversation} span (by
     * the read's kind), with the read's retries as events.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onRead(Read event) {
        Span span = dbSpan(readOperation(event.kind()), event.sessionId(), event.start())
                .setAttribute(READ_KIND, event.kind())
                .setAttribute(MESSAGES, (long) event.messages())
                .startSpan();
        drainPending("read", span);
        end(span, event.outcome(), event.start(), event.duration());
    }

    private static String readOperation(String kind) {
        switch (kind) {
            case "recent":
                return "recentMessages";
            case "page":
                return "readMessages";
            case "header":
                return "findConversation";
            default:
                return "read";
        }
    }

    /**
     * Keeps the race for the span of its operation.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onRaceAbsorbed(RaceAbsorbed event) {
        note(event.operation(), RACE_ABSORBED_EVENT, Attributes.of(OPERATION, event.operation()), Instant.now(), null);
    }

    /**
     * Keeps the retry for the span of its operation.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onRetry(Retry event) {
        note(event.operation(), RETRY_EVENT, Attributes.of(OPERATION, event.operation(), ATTEMPT, (long) event.attempt(),
                REASON, event.reason()), Instant.now(), null);
    }

    /**
     * Keeps the move for the span of its append (a move runs inside an append).
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onMove(Move event) {
        note("append", "moveToArchive", Attributes.of(MESSAGES, (long) event.messages(), BYTES, event.bytes()),
                event.start(), event.duration());
    }

    /**
     * Records a {@code deleteConversation} span, with the erasure's retries as events.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onErasure(Erasure event) {
        Span span = dbSpan("deleteConversation", event.sessionId(), event.start())
                .setAttribute(MESSAGES, event.messages())
                .startSpan();
        drainPending("delete", span);
        end(span, event.outcome(), event.start(), event.duration());
    }

    /**
     * Records a {@code removeOrphanedArchives} span, with the sweep's retries as events.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onSweep(Sweep event) {
        Span span = dbSpan("removeOrphanedArchives", "", event.start())
                .setAttribute(CHUNKS, event.chunksRemoved())
                .startSpan();
        drainPending("sweep", span);
        end(span, event.outcome(), event.start(), event.duration());
    }

    /**
     * Adds a lease-wait event to the current span (the turn's).
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onLeaseWait(LeaseWait event) {
        Span current = Span.current();
        if (current.isRecording()) {
            current.addEvent(LEASE_WAIT_EVENT, Attributes.of(WAITED, event.waited().toNanos() / 1e9, BUSY, event.busy()));
        }
    }

    /**
     * Starts the turn's {@code invoke_agent} span and makes it current on this thread until the
     * turn ends.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onTurnStart(TurnStart event) {
        SpanBuilder builder = tracer.spanBuilder("invoke_agent")
                .setSpanKind(SpanKind.INTERNAL)
                .setStartTimestamp(event.start())
                .setAttribute(GEN_AI_OPERATION_NAME, "invoke_agent");
        conversationId(builder, event.sessionId());
        Span span = builder.startSpan();
        turns.get().addLast(new OpenTurn(span, span.makeCurrent()));
    }

    /**
     * Ends the turn's span (or records one, if its start was not heard) with its usage and outcome.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onTurn(Turn event) {
        ArrayDeque<OpenTurn> open = turns.get();
        OpenTurn turn = open.pollLast();
        if (open.isEmpty()) {
            turns.remove();
        }
        Span span;
        if (turn != null) {
            turn.scope().close();
            span = turn.span();
        } else {
            SpanBuilder builder = tracer.spanBuilder("invoke_agent").setSpanKind(SpanKind.INTERNAL)
                    .setStartTimestamp(event.start()).setAttribute(GEN_AI_OPERATION_NAME, "invoke_agent");
            conversationId(builder, event.sessionId());
            span = builder.startSpan();
        }
        span.setAttribute(STEPS, (long) event.steps()).setAttribute(REPLAYED, event.replayed());
        usage(span, event.usage());
        end(span, event.outcome(), event.start(), event.duration());
    }

    /**
     * Records a {@code chat} span (a client call of the reply provider) and names the provider on the
     * current turn's span.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onProviderCall(ProviderCall event) {
        SpanBuilder builder = tracer.spanBuilder("chat")
                .setSpanKind(SpanKind.CLIENT)
                .setStartTimestamp(event.start())
                .setAttribute(GEN_AI_OPERATION_NAME, "chat")
                .setAttribute(GEN_AI_PROVIDER_NAME, event.provider())
                .setAttribute(ATTEMPTS, (long) event.attempts())
                .setAttribute(TOOL_CALLS, (long) event.toolCalls());
        if (!event.model().isEmpty()) {
            builder.setAttribute(GEN_AI_RESPONSE_MODEL, event.model());
        }
        conversationId(builder, event.sessionId());
        Span span = builder.startSpan();
        usage(span, event.usage());
        end(span, event.outcome(), event.start(), event.duration());
        OpenTurn turn = turns.get().peekLast();
        if (turn != null) {
            turn.span().setAttribute(GEN_AI_PROVIDER_NAME, event.provider());
        }
    }

    /**
     * Records an {@code execute_tool} span.
     *
     * @param event what happened
     * @since 0.2.0
     */
    /**
     * Carries the current context (the turn's span) to the thread that runs a provider call or a
     * tool, so that what they do nests under the turn.
     *
     * @param <T> what the task returns
     * @param task the task
     * @return the task, run in the caller's context
     * @since 0.2.0
     */
    @Override
    public <T> Callable<T> wrap(Callable<T> task) {
        return io.opentelemetry.context.Context.current().wrap(task);
    }

    @Override
    public void onToolCall(ToolCall event) {
        String tool = MicrometerStoreListener.toolName(event);
        SpanBuilder builder = tracer.spanBuilder("execute_tool " + tool)
                .setSpanKind(SpanKind.INTERNAL)
                .setStartTimestamp(event.start())
                .setAttribute(GEN_AI_OPERATION_NAME, "execute_tool")
                .setAttribute(GEN_AI_TOOL_NAME, tool)
                .setAttribute(ATTEMPTS, (long) event.attempts());
        conversationId(builder, event.sessionId());
        end(builder.startSpan(), event.outcome(), event.start(), event.duration());
    }

    private SpanBuilder dbSpan(String operation, String sessionId, Instant start) {
        SpanBuilder builder = tracer.spanBuilder(operation)
                .setSpanKind(SpanKind.CLIENT)
                .setStartTimestamp(start)
                .setAttribute(DB_SYSTEM_NAME, "mongodb")
                .setAttribute(DB_OPERATION_NAME, operation);
        conversationId(builder, sessionId);
        return builder;
    }

    private void conversationId(SpanBuilder builder, String sessionId) {
        if (exposeConversationId && !sessionId.isEmpty()) {
            builder.setAttribute(GEN_AI_CONVERSATION_ID, sessionId);
        }
    }

    private static void usage(Span span, TokenUsage usage) {
        if (!usage.equals(TokenUsage.UNKNOWN)) {
            span.setAttribute(GEN_AI_INPUT_TOKENS, usage.inputTokens());
            span.setAttribute(GEN_AI_OUTPUT_TOKENS, usage.outputTokens());
        }
    }

    private static void end(Span span, String outcome, Instant start, Duration duration) {
        if (!OK.equals(outcome)) {
            span.setAttribute(ERROR_TYPE, outcome);
            span.setStatus(StatusCode.ERROR);
        }
        span.end(start.plus(duration));
    }

    /**
     * Keeps a point event for the span of its operation, which follows on this thread; an event of an
     * operation that makes no span of its own (a lease) goes to the current span at once.
     */
    private void note(String operation, String name, Attributes attributes, Instant at, Duration duration) {
        switch (operation) {
            case "append":
            case "read":
            case "delete":
            case "sweep":
                ArrayDeque<Pending> queue = pending.get();
                if (queue == null) {
                    queue = new ArrayDeque<>();
                    pending.set(queue);
                } else if (queue.size() == MAX_PENDING) {
                    queue.pollFirst();
                }
                queue.addLast(new Pending(operation, name, attributes, at, duration));
                break;
            default:
                Span current = Span.current();
                if (current.isRecording()) {
                    current.addEvent(name, attributes, at);
                }
        }
    }

    /** Puts this thread's kept events of {@code operation} into the span of that operation. */
    private void drainPending(String operation, Span span) {
        ArrayDeque<Pending> queue = pending.get();
        if (queue == null) {
            return;
        }
        for (Iterator<Pending> it = queue.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (!p.operation().equals(operation)) {
                continue;
            }
            it.remove();
            if (p.duration() == null) {
                span.addEvent(p.name(), p.attributes(), p.at());
            } else {
                AttributesBuilder attributes = p.attributes().toBuilder()
                        .put(DB_SYSTEM_NAME, "mongodb").put(DB_OPERATION_NAME, p.name());
                tracer.spanBuilder(p.name()).setSpanKind(SpanKind.CLIENT).setParent(Context.current().with(span))
                        .setStartTimestamp(p.at()).setAllAttributes(attributes.build()).startSpan()
                        .end(p.at().plus(p.duration()));
            }
        }
        if (queue.isEmpty()) {
            pending.remove();
        }
    }

    /**
     * Builds an {@link OpenTelemetryStoreListener}.
     *
     * @since 0.2.0
     */
    public static final class Builder {
        private final OpenTelemetry openTelemetry;
        private boolean exposeConversationId;

        private Builder(OpenTelemetry openTelemetry) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
        }

        /**
         * Sets whether spans carry the session id as {@code gen_ai.conversation.id} (default: no).
         * The session id reaches this listener only from a store or turn service built with
         * {@code exposeSessionIds(true)}: both must say so. Session ids can be personal data.
         *
         * @param value whether to expose the session id
         * @return this builder
         * @since 0.2.0
         */
        public Builder exposeConversationId(boolean value) {
            this.exposeConversationId = value;
            return this;
        }

        /**
         * Builds the listener.
         *
         * @return the listener
         * @since 0.2.0
         */
        public OpenTelemetryStoreListener build() {
            return new OpenTelemetryStoreListener(this);
        }
    }
}
