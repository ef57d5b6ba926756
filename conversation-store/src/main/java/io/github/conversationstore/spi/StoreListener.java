package io.github.conversationstore.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;

/**
 * Hears what a store and a turn service do: appends, reads, races absorbed, retries, moves to the
 * archive, erasures, sweeps, lease waits, provider calls, tool calls and turns. Register listeners
 * on the builders ({@code listener(...)}); the Micrometer and OpenTelemetry bindings of the
 * {@code conversation-store-observability} module are listeners.
 *
 * <p>For example, one listener on a store and on a turn service:
 *
 * <!-- snippet file="io/github/conversationstore/examples/TurnExamplesTest.java" region="store-listener" -->
 * <pre>{@code
 * StoreListener listener = new StoreListener() {
 *     @Override
 *     public void onAppend(Append event) {
 *         if (event.duplicate()) {
 *             duplicates.increment(); // a repeated append id: nothing was written
 *         }
 *     }
 *
 *     @Override
 *     public void onProviderCall(ProviderCall event) {
 *         outputTokens.add(event.usage().outputTokens());
 *     }
 * };
 * ConversationStore store = InMemoryConversationStore.builder().listener(listener).build();
 * TurnService turns = TurnService.builder(store).provider(provider).listener(listener).build();
 * }</pre>
 *
 * <p>Events never carry content: no message text, part, attribute or metadata value, no header
 * attribute, no exception message (only its class's simple name). The session id is given only when
 * the builder was told to ({@code exposeSessionIds(true)}: session ids can be personal data);
 * otherwise it is empty. Names of tools, providers and models are given: they are the
 * application's, not its users'.
 *
 * <p>Methods are called on the thread that does the work, after it (a turn's start excepted), and
 * must be quick and thread-safe. A listener that throws never breaks an operation: the exception is
 * logged at {@code WARNING} (its class only) and the operation goes on. Every method does nothing by
 * default.
 *
 * @since 0.2.0
 */
public interface StoreListener {

    /** Outcome of an event that succeeded. */
    String OK = "ok";

    /**
     * An append ended.
     *
     * @param sessionId the session, or empty unless exposed
     * @param messages how many messages the request held
     * @param duplicate whether the append id had been applied before
     * @param created whether the append created the conversation
     * @param attempts how many times the database was tried, 1 on the fast path
     * @param start when the append started
     * @param duration how long it took
     * @param outcome {@value #OK}, or the simple name of the exception thrown
     */
    record Append(String sessionId, int messages, boolean duplicate, boolean created, int attempts, Instant start,
            Duration duration, String outcome) {}

    /**
     * A read ended.
     *
     * @param sessionId the session, or empty unless exposed
     * @param kind {@code recent}, {@code page} or {@code header}
     * @param messages how many messages it returned (1 or 0 for a header)
     * @param start when the read started
     * @param duration how long it took
     * @param outcome {@value #OK}, or the simple name of the exception thrown
     */
    record Read(String sessionId, String kind, int messages, Instant start, Duration duration, String outcome) {}

    /**
     * An append was refused with E11000 (another writer created the session's document first, or
     * the append's own earlier attempt, whose reply was lost, had applied it), and the store settled
     * it without troubling the caller.
     *
     * @param sessionId the session, or empty unless exposed
     * @param operation what raced, such as {@code append}
     */
    record RaceAbsorbed(String sessionId, String operation) {}

    /**
     * A transient failure (network, failover, timeout) is being retried.
     *
     * @param sessionId the session, or empty unless exposed
     * @param operation what is retried, such as {@code append} or {@code read}
     * @param attempt the attempt that failed, 1 or more
     * @param reason the simple name of the failure's exception
     */
    record Retry(String sessionId, String operation, int attempt, String reason) {}

    /**
     * Messages moved from a session's head to the archive.
     *
     * @param sessionId the session, or empty unless exposed
     * @param messages how many moved
     * @param bytes their size as stored
     * @param start when the move started
     * @param duration how long it took
     */
    record Move(String sessionId, int messages, long bytes, Instant start, Duration duration) {}

    /**
     * A conversation was erased.
     *
     * @param sessionId the session, or empty unless exposed
     * @param messages how many messages this call deleted (0 if it failed)
     * @param start when the erasure started
     * @param duration how long it took
     * @param outcome {@value #OK}, or the simple name of the exception thrown
     */
    record Erasure(String sessionId, long messages, Instant start, Duration duration, String outcome) {}

    /**
     * A retention sweep ended.
     *
     * @param chunksRemoved how many archive chunks of dead sessions it removed (0 if it failed)
     * @param start when it started
     * @param duration how long it took
     * @param outcome {@value #OK}, or the simple name of the exception thrown
     */
    record Sweep(long chunksRemoved, Instant start, Duration duration, String outcome) {}

    /**
     * A turn waited for another turn of its session.
     *
     * @param sessionId the session, or empty unless exposed
     * @param waited how long it waited
     * @param busy whether it gave up ({@code ConversationBusyException})
     */
    record LeaseWait(String sessionId, Duration waited, boolean busy) {}

    /**
     * A turn began (sent before its work, so that tracing can make it the parent of what follows).
     *
     * @param sessionId the session, or empty unless exposed
     * @param start when it began
     */
    record TurnStart(String sessionId, Instant start) {}

    /**
     * A turn ended.
     *
     * @param sessionId the session, or empty unless exposed
     * @param steps how many tool-calling steps the turn holds
     * @param replayed whether the reply had been stored before
     * @param usage the tokens of this call's provider calls
     * @param start when it began
     * @param duration how long it took
     * @param outcome {@value #OK}, or the simple name of the exception thrown
     */
    record Turn(String sessionId, int steps, boolean replayed, TokenUsage usage, Instant start, Duration duration,
            String outcome) {}

    /**
     * A provider call ended (with its retries).
     *
     * @param sessionId the session, or empty unless exposed
     * @param provider the provider's name
     * @param model the model the reply names ({@code model} metadata), or empty
     * @param attempts how many times the provider was called
     * @param usage the tokens it reported
     * @param toolCalls how many tool calls the reply asked for
     * @param start when the first attempt started
     * @param duration how long it took, retries included
     * @param outcome {@value #OK}, or the simple name of the exception thrown
     */
    record ProviderCall(String sessionId, String provider, String model, int attempts, TokenUsage usage, int toolCalls,
            Instant start, Duration duration, String outcome) {}

    /**
     * A tool call ended (with its retries).
     *
     * @param sessionId the session, or empty unless exposed
     * @param tool the tool's name, as the model asked for it: the model's output, so an
     *     application's name only if {@code offered}
     * @param offered whether a tool of that name was offered (otherwise the call got an error result)
     * @param attempts how many times the tool ran (0 for a tool not offered, or bad arguments)
     * @param start when it started
     * @param duration how long it took, retries included
     * @param outcome {@value #OK}, {@code error_result} (the model reads an error), or the simple
     *     name of the exception that failed the turn
     */
    record ToolCall(String sessionId, String tool, boolean offered, int attempts, Instant start, Duration duration,
            String outcome) {}

    /**
     * An append ended.
     *
     * @param event what happened
     */
    default void onAppend(Append event) {}

    /**
     * A read ended.
     *
     * @param event what happened
     */
    default void onRead(Read event) {}

    /**
     * A race was absorbed.
     *
     * @param event what happened
     */
    default void onRaceAbsorbed(RaceAbsorbed event) {}

    /**
     * A transient failure is being retried.
     *
     * @param event what happened
     */
    default void onRetry(Retry event) {}

    /**
     * Messages moved to the archive.
     *
     * @param event what happened
     */
    default void onMove(Move event) {}

    /**
     * A conversation was erased.
     *
     * @param event what happened
     */
    default void onErasure(Erasure event) {}

    /**
     * A retention sweep ended.
     *
     * @param event what happened
     */
    default void onSweep(Sweep event) {}

    /**
     * A turn waited for its session's lease.
     *
     * @param event what happened
     */
    default void onLeaseWait(LeaseWait event) {}

    /**
     * A turn began.
     *
     * @param event what happened
     */
    default void onTurnStart(TurnStart event) {}

    /**
     * A turn ended.
     *
     * @param event what happened
     */
    default void onTurn(Turn event) {}

    /**
     * A provider call ended.
     *
     * @param event what happened
     */
    default void onProviderCall(ProviderCall event) {}

    /**
     * A tool call ended.
     *
     * @param event what happened
     */
    default void onToolCall(ToolCall event) {}

    /**
     * Returns the outcome of an operation that threw: the exception's simple class name.
     *
     * @param failure what was thrown, or null for success
     * @return {@value #OK} for null, else the simple class name (of the nearest named class, for an
     *     anonymous one)
     */
    static String outcome(Throwable failure) {
        if (failure == null) {
            return OK;
        }
        // an anonymous or hidden class has no stable simple name: take the nearest named superclass
        Class<?> type = failure.getClass();
        while (type.getSimpleName().isEmpty() || type.isSynthetic() || type.isHidden()) {
            type = type.getSuperclass();
        }
        return type.getSimpleName();
    }

    /**
     * Wraps a task the turn service runs on its own threads (a provider call, a tool run) before it
     * is handed to them; called on the turn's thread. A tracing binding carries its context across,
     * so that what the provider and the tools do nests under the turn. By default the task itself.
     *
     * @param <T> what the task returns
     * @param task the task
     * @return the task to run instead (never null)
     */
    default <T> Callable<T> wrap(Callable<T> task) {
        return task;
    }
}
