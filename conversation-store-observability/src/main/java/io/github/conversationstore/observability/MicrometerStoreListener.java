package io.github.conversationstore.observability;

import io.github.conversationstore.spi.StoreListener;
import io.github.conversationstore.spi.TokenUsage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * A {@link StoreListener} that records Micrometer meters: timers of appends, reads, moves, erasures,
 * sweeps, turns, lease waits, provider calls and tool calls, and counters of messages, races
 * absorbed, retries and tokens. Names are lower-case and dot-separated under
 * {@code conversation.store}; tags have low cardinality only (outcomes, kinds, provider, model and
 * tool names), never a session id.
 *
 * <!-- snippet file="io/github/conversationstore/observability/examples/ObservabilityExamplesTest.java" region="micrometer" -->
 * <pre>{@code
 * MicrometerStoreListener meters = MicrometerStoreListener.builder(registry)
 *         .tag("store", "tutor") // on every meter, to tell stores apart
 *         .build();
 * ConversationStore store = MongoConversationStore.builder()
 *         .connectionString(connectionString)
 *         .database("tutor")
 *         .listener(meters)      // appends, reads, races, retries, moves, erasures
 *         .build();
 * TurnService turns = TurnService.builder(store)
 *         .provider(provider)
 *         .listener(meters)      // the same instance: turns, provider and tool calls
 *         .build();
 * turns.respond("session-42", "es", "¿Qué hora es?", "turn-8");
 * // conversation.store.turn counts one turn, conversation.store.append two appends
 * }</pre>
 *
 * <p>The meters (see the project's {@code docs/OBSERVABILITY.md} for the full table):
 * <ul>
 *   <li>{@value #APPEND} (timer; {@code outcome}, {@code duplicate}), {@value #APPEND_MESSAGES}
 *       (counter of messages stored), {@value #CONVERSATIONS} (counter);</li>
 *   <li>{@value #READ} (timer; {@code kind}, {@code outcome});</li>
 *   <li>{@value #RACES_ABSORBED} (counter; {@code operation}), {@value #RETRIES} (counter;
 *       {@code operation}, {@code reason});</li>
 *   <li>{@value #MOVE} (timer), {@value #MOVE_MESSAGES} and {@value #MOVE_BYTES} (counters);</li>
 *   <li>{@value #ERASURE} (timer), {@value #ERASURE_MESSAGES} (counter), {@value #SWEEP} (timer),
 *       {@value #SWEEP_CHUNKS} (counter);</li>
 *   <li>{@value #TURN} (timer; {@code outcome}, {@code replayed}), {@value #TURN_ACTIVE} (long task
 *       timer of the turns under way), {@value #LEASE_WAIT} (timer; {@code busy});</li>
 *   <li>{@value #PROVIDER_CALL} (timer; {@code provider}, {@code model}, {@code outcome}),
 *       {@value #PROVIDER_TOKENS} (counter; {@code provider}, {@code model}, {@code type}),
 *       {@value #PROVIDER_RETRIES} (counter; {@code provider});</li>
 *   <li>{@value #TOOL_CALL} (timer; {@code tool}, {@code outcome}), {@value #TOOL_RETRIES}
 *       (counter; {@code tool}).</li>
 * </ul>
 *
 * <p>A call of a tool nobody offered is tagged {@code tool=}{@value #UNKNOWN_TOOL}: such a name is the model's
 * output, not the application's, so it could carry anything. A reply that names no model is tagged
 * {@code model=}{@value #NONE}.
 *
 * <p>Thread-safe; one instance may be registered on several stores and turn services (their meters
 * add up; tell them apart with {@link Builder#tag(String, String)} on separate instances).
 *
 * @since 0.2.0
 */
public final class MicrometerStoreListener implements StoreListener {
    /**
     * Timer of appends.
     *
     * @since 0.2.0
     */
    public static final String APPEND = "conversation.store.append";
    /**
     * Counter of messages stored by appends (duplicates and failures excluded).
     *
     * @since 0.2.0
     */
    public static final String APPEND_MESSAGES = "conversation.store.append.messages";
    /**
     * Counter of conversations created by an append (in Prometheus {@code conversation_store_conversations_total}).
     *
     * @since 0.2.0
     */
    public static final String CONVERSATIONS = "conversation.store.conversations";
    /**
     * Timer of reads.
     *
     * @since 0.2.0
     */
    public static final String READ = "conversation.store.read";
    /**
     * Counter of races (E11000) the store settled itself.
     *
     * @since 0.2.0
     */
    public static final String RACES_ABSORBED = "conversation.store.races.absorbed";
    /**
     * Counter of transient failures retried.
     *
     * @since 0.2.0
     */
    public static final String RETRIES = "conversation.store.retries";
    /**
     * Timer of moves to the archive.
     *
     * @since 0.2.0
     */
    public static final String MOVE = "conversation.store.move";
    /**
     * Counter of messages moved to the archive.
     *
     * @since 0.2.0
     */
    public static final String MOVE_MESSAGES = "conversation.store.move.messages";
    /**
     * Counter of bytes moved to the archive.
     *
     * @since 0.2.0
     */
    public static final String MOVE_BYTES = "conversation.store.move.bytes";
    /**
     * Timer of erasures.
     *
     * @since 0.2.0
     */
    public static final String ERASURE = "conversation.store.erasure";
    /**
     * Counter of messages erased.
     *
     * @since 0.2.0
     */
    public static final String ERASURE_MESSAGES = "conversation.store.erasure.messages";
    /**
     * Timer of retention sweeps.
     *
     * @since 0.2.0
     */
    public static final String SWEEP = "conversation.store.sweep";
    /**
     * Counter of archive chunks removed by sweeps.
     *
     * @since 0.2.0
     */
    public static final String SWEEP_CHUNKS = "conversation.store.sweep.chunks";
    /**
     * Timer of turns.
     *
     * @since 0.2.0
     */
    public static final String TURN = "conversation.store.turn";
    /**
     * Long task timer of the turns under way.
     *
     * @since 0.2.0
     */
    public static final String TURN_ACTIVE = "conversation.store.turn.active";
    /**
     * Timer of the waits of turns for their session's lease.
     *
     * @since 0.2.0
     */
    public static final String LEASE_WAIT = "conversation.store.lease.wait";
    /**
     * Timer of provider calls, retries included.
     *
     * @since 0.2.0
     */
    public static final String PROVIDER_CALL = "conversation.store.provider.call";
    /**
     * Counter of tokens reported by providers.
     *
     * @since 0.2.0
     */
    public static final String PROVIDER_TOKENS = "conversation.store.provider.tokens";
    /**
     * Counter of provider attempts beyond the first.
     *
     * @since 0.2.0
     */
    public static final String PROVIDER_RETRIES = "conversation.store.provider.retries";
    /**
     * Timer of tool calls, retries included.
     *
     * @since 0.2.0
     */
    public static final String TOOL_CALL = "conversation.store.tool.call";
    /**
     * Counter of tool attempts beyond the first.
     *
     * @since 0.2.0
     */
    public static final String TOOL_RETRIES = "conversation.store.tool.retries";
    /**
     * The {@code tool} tag of a call of a tool nobody offered.
     *
     * @since 0.2.0
     */
    public static final String UNKNOWN_TOOL = "unknown";
    /**
     * The {@code model} tag of a reply that names no model.
     *
     * @since 0.2.0
     */
    public static final String NONE = "none";

    private final MeterRegistry registry;
    private final Meter.MeterProvider<Timer> appends;
    private final Counter appendedMessages;
    private final Counter created;
    private final Meter.MeterProvider<Timer> reads;
    private final Meter.MeterProvider<Counter> races;
    private final Meter.MeterProvider<Counter> retries;
    private final Timer moves;
    private final Counter movedMessages;
    private final Counter movedBytes;
    private final Meter.MeterProvider<Timer> erasures;
    private final Counter erasedMessages;
    private final Meter.MeterProvider<Timer> sweeps;
    private final Counter sweptChunks;
    private final Meter.MeterProvider<Timer> turns;
    private final LongTaskTimer activeTurns;
    private final Meter.MeterProvider<Timer> leaseWaits;
    private final Meter.MeterProvider<Timer> providerCalls;
    private final Meter.MeterProvider<Counter> tokens;
    private final Meter.MeterProvider<Counter> providerRetries;
    private final Meter.MeterProvider<Timer> toolCalls;
    private final Meter.MeterProvider<Counter> toolRetries;
    /** The samples of this thread's turns under way, innermost last. */
    private final ThreadLocal<ArrayDeque<LongTaskTimer.Sample>> turnSamples = ThreadLocal.withInitial(ArrayDeque::new);

    private MicrometerStoreListener(Builder b) {
        this.registry = b.registry;
        Tags tags = b.tags;
        appends = Timer.builder(APPEND).description("Appends to a conversation").tags(tags).withRegistry(registry);
        appendedMessages = Counter.builder(APPEND_MESSAGES).description("Messages stored by appends (duplicates excluded)")
                .baseUnit("messages").tags(tags).register(registry);
        created = Counter.builder(CONVERSATIONS).description("Conversations created by an append")
                .tags(tags).register(registry);
        reads = Timer.builder(READ).description("Reads of messages or of a conversation's header").tags(tags)
                .withRegistry(registry);
        races = Counter.builder(RACES_ABSORBED).description("Races (duplicate key errors) the store settled itself")
                .tags(tags).withRegistry(registry);
        retries = Counter.builder(RETRIES).description("Transient failures retried").tags(tags).withRegistry(registry);
        moves = Timer.builder(MOVE).description("Moves of messages from a head to the archive").tags(tags).register(registry);
        movedMessages = Counter.builder(MOVE_MESSAGES).description("Messages moved to the archive").baseUnit("messages")
                .tags(tags).register(registry);
        movedBytes = Counter.builder(MOVE_BYTES).description("Bytes moved to the archive").baseUnit("bytes").tags(tags)
                .register(registry);
        erasures = Timer.builder(ERASURE).description("Conversations erased").tags(tags).withRegistry(registry);
        erasedMessages = Counter.builder(ERASURE_MESSAGES).description("Messages erased").baseUnit("messages").tags(tags)
                .register(registry);
        sweeps = Timer.builder(SWEEP).description("Retention sweeps").tags(tags).withRegistry(registry);
        sweptChunks = Counter.builder(SWEEP_CHUNKS).description("Archive chunks removed by retention sweeps")
                .baseUnit("chunks").tags(tags).register(registry);
        turns = Timer.builder(TURN).description("Turns: user message, provider and tool calls, reply").tags(tags)
                .withRegistry(registry);
        activeTurns = LongTaskTimer.builder(TURN_ACTIVE).description("Turns under way").tags(tags).register(registry);
        leaseWaits = Timer.builder(LEASE_WAIT).description("Waits of a turn for another turn of its session").tags(tags)
                .withRegistry(registry);
        providerCalls = Timer.builder(PROVIDER_CALL).description("Reply provider calls, retries included").tags(tags)
                .withRegistry(registry);
        tokens = Counter.builder(PROVIDER_TOKENS).description("Tokens reported by reply providers").baseUnit("tokens")
                .tags(tags).withRegistry(registry);
        providerRetries = Counter.builder(PROVIDER_RETRIES).description("Provider attempts beyond the first").tags(tags)
                .withRegistry(registry);
        toolCalls = Timer.builder(TOOL_CALL).description("Tool calls, retries included").tags(tags).withRegistry(registry);
        toolRetries = Counter.builder(TOOL_RETRIES).description("Tool attempts beyond the first").tags(tags)
                .withRegistry(registry);
    }

    /**
     * Starts a builder that records into this registry.
     *
     * @param registry where the meters go
     * @return a builder
     * @throws NullPointerException if {@code registry} is null
     * @since 0.2.0
     */
    public static Builder builder(MeterRegistry registry) {
        return new Builder(registry);
    }

    /**
     * Records into this registry, without extra tags.
     *
     * @param registry where the meters go
     * @return the listener
     * @throws NullPointerException if {@code registry} is null
     * @since 0.2.0
     */
    public static MicrometerStoreListener create(MeterRegistry registry) {
        return builder(registry).build();
    }

    /**
     * Times the append, counts the messages it stored and the conversation it created.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onAppend(Append event) {
        appends.withTags("outcome", event.outcome(), "duplicate", Boolean.toString(event.duplicate()))
                .record(event.duration());
        if (OK.equals(event.outcome()) && !event.duplicate()) {
            appendedMessages.increment(event.messages());
        }
        if (event.created()) {
            created.increment();
        }
    }

    /**
     * Times the read.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onRead(Read event) {
        reads.withTags("kind", event.kind(), "outcome", event.outcome()).record(event.duration());
    }

    /**
     * Counts the race.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onRaceAbsorbed(RaceAbsorbed event) {
        races.withTags("operation", event.operation()).increment();
    }

    /**
     * Counts the retry.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onRetry(Retry event) {
        retries.withTags("operation", event.operation(), "reason", event.reason()).increment();
    }

    /**
     * Times the move, counts its messages and bytes.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onMove(Move event) {
        moves.record(event.duration());
        movedMessages.increment(event.messages());
        movedBytes.increment(event.bytes());
    }

    /**
     * Times the erasure, counts its messages.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onErasure(Erasure event) {
        erasures.withTags("outcome", event.outcome()).record(event.duration());
        erasedMessages.increment(event.messages());
    }

    /**
     * Times the sweep, counts the chunks it removed.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onSweep(Sweep event) {
        sweeps.withTags("outcome", event.outcome()).record(event.duration());
        sweptChunks.increment(event.chunksRemoved());
    }

    /**
     * Times the wait.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onLeaseWait(LeaseWait event) {
        leaseWaits.withTags("busy", Boolean.toString(event.busy())).record(event.waited());
    }

    /**
     * Counts the turn as under way until its end.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onTurnStart(TurnStart event) {
        turnSamples.get().addLast(activeTurns.start());
    }

    /**
     * Times the turn, and ends it as under way.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onTurn(Turn event) {
        ArrayDeque<LongTaskTimer.Sample> samples = turnSamples.get();
        LongTaskTimer.Sample sample = samples.pollLast();
        if (samples.isEmpty()) {
            turnSamples.remove();
        }
        if (sample != null) {
            sample.stop();
        }
        turns.withTags("outcome", event.outcome(), "replayed", Boolean.toString(event.replayed())).record(event.duration());
    }

    /**
     * Times the call, counts its tokens and retries.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onProviderCall(ProviderCall event) {
        String model = event.model().isEmpty() ? NONE : event.model();
        providerCalls.withTags("provider", event.provider(), "model", model, "outcome", event.outcome())
                .record(event.duration());
        TokenUsage usage = event.usage();
        if (usage.inputTokens() > 0) {
            tokens.withTags("provider", event.provider(), "model", model, "type", "input").increment(usage.inputTokens());
        }
        if (usage.outputTokens() > 0) {
            tokens.withTags("provider", event.provider(), "model", model, "type", "output").increment(usage.outputTokens());
        }
        if (event.attempts() > 1) {
            providerRetries.withTags("provider", event.provider()).increment(event.attempts() - 1);
        }
    }

    /**
     * Times the call, counts its retries.
     *
     * @param event what happened
     * @since 0.2.0
     */
    @Override
    public void onToolCall(ToolCall event) {
        String tool = toolName(event);
        toolCalls.withTags("tool", tool, "outcome", event.outcome()).record(event.duration());
        if (event.attempts() > 1) {
            toolRetries.withTags("tool", tool).increment(event.attempts() - 1);
        }
    }

    /** The tool's name when a tool of that name was offered; a name the model made up is never a tag. */
    static String toolName(ToolCall event) {
        return event.offered() ? event.tool() : UNKNOWN_TOOL;
    }

    /**
     * Builds a {@link MicrometerStoreListener}.
     *
     * @since 0.2.0
     */
    public static final class Builder {
        private final MeterRegistry registry;
        private Tags tags = Tags.empty();

        private Builder(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /**
         * Adds a tag to every meter (say {@code store=tutor}); keep its values few.
         *
         * @param key the tag's key
         * @param value the tag's value
         * @return this builder
         * @throws NullPointerException if an argument is null
         * @since 0.2.0
         */
        public Builder tag(String key, String value) {
            tags = tags.and(Tag.of(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value")));
            return this;
        }

        /**
         * Adds tags to every meter; keep their values few.
         *
         * @param extra the tags
         * @return this builder
         * @throws NullPointerException if {@code extra} is null
         * @since 0.2.0
         */
        public Builder tags(Iterable<Tag> extra) {
            tags = tags.and(Objects.requireNonNull(extra, "extra"));
            return this;
        }

        /**
         * Builds the listener and registers its meters of fixed tags.
         *
         * @return the listener
         * @since 0.2.0
         */
        public MicrometerStoreListener build() {
            return new MicrometerStoreListener(this);
        }
    }
}
