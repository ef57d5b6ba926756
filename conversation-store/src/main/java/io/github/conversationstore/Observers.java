package io.github.conversationstore;

import io.github.conversationstore.spi.StoreListener;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * The listeners of a store or turn service, and its log. Events are built only when someone
 * listens; a listener that throws is logged (its class and the exception's class, never a message,
 * which could hold content) and the operation goes on.
 */
final class Observers {
    /** The library's log, through {@link System.Logger}: it lands in the application's logging. */
    static final System.Logger LOG = System.getLogger("io.github.conversationstore");
    static final Observers NONE = new Observers(List.of(), false);

    private final List<StoreListener> listeners;
    private final boolean exposeSessionIds;

    Observers(List<StoreListener> listeners, boolean exposeSessionIds) {
        this.listeners = List.copyOf(listeners);
        this.exposeSessionIds = exposeSessionIds;
    }

    /** Whether anyone listens: callers skip building events (and reading clocks) when not. */
    boolean active() {
        return !listeners.isEmpty();
    }

    /** The session id as events may show it: empty unless the builder exposed session ids. */
    String session(String sessionId) {
        return exposeSessionIds && sessionId != null ? sessionId : "";
    }

    void emit(Consumer<StoreListener> event) {
        for (StoreListener listener : listeners) {
            deliver(listener, event);
        }
    }

    /**
     * Emits to the listeners in the reverse order of registration: for the end of what a start
     * event opened (a listener that made a span current closes its scope after the ones opened
     * after it).
     */
    void emitReversed(Consumer<StoreListener> event) {
        for (int i = listeners.size() - 1; i >= 0; i--) {
            deliver(listeners.get(i), event);
        }
    }

    private static void deliver(StoreListener listener, Consumer<StoreListener> event) {
        try {
            event.accept(listener);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) { // a listener's bug (checked exceptions sneaked through, assertion errors) never breaks an operation
            LOG.log(Level.WARNING, () -> "listener " + listener.getClass().getName() + " threw "
                    + e.getClass().getName() + "; the operation went on");
        }
    }

    /**
     * A task to run on the turn service's threads, wrapped by every listener (so that a tracing
     * binding carries the caller's context to the provider and the tools).
     */
    <T> Callable<T> wrap(Callable<T> task) {
        Callable<T> wrapped = task;
        for (StoreListener listener : listeners) {
            try {
                Callable<T> next = listener.wrap(wrapped);
                if (next != null) {
                    wrapped = next;
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, () -> "listener " + listener.getClass().getName() + " threw "
                        + e.getClass().getName() + " wrapping a task; the task runs unwrapped by it");
            }
        }
        return wrapped;
    }

    /**
     * What ends an observed operation: its result (null if it threw), when it started
     * ({@link System#nanoTime()}), and its outcome.
     */
    @FunctionalInterface
    interface Ending<T> {
        void end(T result, long startNanos, String outcome);
    }

    /**
     * Runs an operation and, when someone listens, tells {@code ending} how it went: the one place
     * where operations are timed and their outcome (success or the exception's class) reported.
     */
    <T> T observe(Supplier<T> work, Ending<T> ending) {
        if (!active()) {
            return work.get();
        }
        long start = System.nanoTime();
        T result;
        try {
            result = work.get();
        } catch (RuntimeException | Error e) {
            ending.end(null, start, StoreListener.outcome(e));
            throw e;
        }
        ending.end(result, start, StoreListener.OK);
        return result;
    }

    /** Runs an append, and tells the listeners how it went; {@code attempts[0]} is set by the append. */
    AppendResult append(AppendRequest request, Function<int[], AppendResult> append) {
        int[] attempts = {1};
        String session = session(request.sessionId());
        int messages = request.messages().size();
        return observe(() -> append.apply(attempts), (result, start, outcome) -> emit(l -> l.onAppend(
                new StoreListener.Append(session, messages, result != null && result.duplicate(),
                        result != null && result.conversationCreated(), attempts[0], startOf(start), since(start), outcome))));
    }

    /** Runs a read, and tells the listeners how it went; {@code count} says how many messages it returned. */
    <T> T read(String sessionId, String kind, Supplier<T> read, ToIntFunction<T> count) {
        String session = session(sessionId);
        return observe(read, (result, start, outcome) -> emit(l -> l.onRead(new StoreListener.Read(session, kind,
                result == null ? 0 : count.applyAsInt(result), startOf(start), since(start), outcome))));
    }

    /** Runs an erasure, and tells the listeners how many messages it deleted. */
    long erase(String sessionId, LongSupplier delete) {
        String session = session(sessionId);
        return observe(delete::getAsLong, (deleted, start, outcome) -> emit(l -> l.onErasure(new StoreListener.Erasure(
                session, deleted == null ? 0 : deleted, startOf(start), since(start), outcome))));
    }

    /** Runs a sweep, and tells the listeners how many chunks it removed. */
    long sweep(LongSupplier sweep) {
        long removed = observe(sweep::getAsLong, (chunks, start, outcome) -> emit(l -> l.onSweep(new StoreListener.Sweep(
                chunks == null ? 0 : chunks, startOf(start), since(start), outcome))));
        LOG.log(Level.DEBUG, () -> "retention sweep removed " + removed + " archive chunks");
        return removed;
    }

    /** A point in time for durations, read only when someone listens. */
    long startNanos() {
        return active() ? System.nanoTime() : 0L;
    }

    /** The wall-clock start of something that began {@code startNanos} ago. */
    static Instant startOf(long startNanos) {
        return Instant.now().minusNanos(System.nanoTime() - startNanos);
    }

    static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
