package io.github.conversationstore;

import io.github.conversationstore.spi.StoreListener;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

/**
 * Runs the provider calls and tool runs of a turn service on its threads: each attempt with a
 * timeout, its failure classified, retried after a doubling pause while it may pass, the number of
 * attempts reported. The one place of "call with a timeout, classify, back off, retry".
 *
 * <p>A keyed call (a tool call, keyed by its idempotency key) never has two runs at once in this
 * runner: a run that timed out is interrupted, and if it goes on anyway (a tool that ignores
 * interruption), the next attempt of the same key, in this turn or in a resumed one, waits for it
 * to end within its own timeout before it starts a run; it fails (retryably) if the earlier run is
 * still going. At most {@value #MAX_THREADS} calls run at once; an attempt that finds no free
 * thread fails retryably.
 */
final class CallRunner implements AutoCloseable {
    /** Most provider calls and tool runs under way at once. */
    static final int MAX_THREADS = 64;
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final ThreadPoolExecutor threads = new ThreadPoolExecutor(0, MAX_THREADS, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "turn-service-provider-" + THREADS.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
    private final Map<String, Run<?>> running = new ConcurrentHashMap<>();
    private final Duration backoff;
    private final Observers observers;

    /**
     * How a call is made.
     *
     * @param what names the call in logs ("provider x", "tool y")
     * @param maxAttempts attempts at most
     * @param timeout the longest one attempt may take
     * @param timeoutReason the reason given when an attempt timed out
     * @param gap the longest an attempt may go without progress, or null for no such bound
     * @param progress when ({@link System#nanoTime()}) the attempt under way last made progress
     *     (for {@code gap}); null without a gap
     */
    record Policy(String what, int maxAttempts, Duration timeout, String timeoutReason, Duration gap,
            LongSupplier progress) {
        Policy(String what, int maxAttempts, Duration timeout, String timeoutReason) {
            this(what, maxAttempts, timeout, timeoutReason, null, null);
        }
    }

    /**
     * Why an attempt failed, and whether another attempt may pass.
     *
     * @param cause what was thrown (a {@link TimeoutException} for a timeout)
     * @param retryable whether to try again
     * @param reason for messages
     */
    record Failure(Throwable cause, boolean retryable, String reason) {}

    /**
     * How a call ended: with a value (possibly null) or the last attempt's failure.
     *
     * @param value the value, when {@code failure} is null
     * @param failure the last failure, or null
     * @param attempts how many attempts were made
     */
    record Outcome<T>(T value, Failure failure, int attempts) {
        boolean succeeded() {
            return failure == null;
        }
    }

    /** Runs before each attempt (the turn renews its lease there if needed); may throw to stop. */
    @FunctionalInterface
    interface BeforeAttempt {
        void before(int attempt);
    }

    /** One run of a task on a thread of the runner. */
    private static final class Run<T> {
        final CompletableFuture<T> result = new CompletableFuture<>();
        private Thread thread;
        private boolean stopped;

        synchronized void started(Thread t) {
            thread = t;
            if (stopped) {
                t.interrupt();
            }
        }

        synchronized void ended() {
            thread = null;
            Thread.interrupted(); // a stop that came late is not carried to the thread's next task
        }

        synchronized void stop() {
            stopped = true;
            if (thread != null) {
                thread.interrupt();
            }
        }
    }

    CallRunner(Duration backoff, Observers observers) {
        this.backoff = backoff;
        this.observers = observers;
    }

    /**
     * Makes the call: attempt after attempt until one gives a value, one fails in a way that is not
     * retryable, or the attempts run out. The calling thread's interruption ends it with a
     * retryable failure, the interruption kept.
     *
     * @param key for a keyed call, the key no two runs share at once; null otherwise
     * @param task the task of each attempt, given the attempt's number (from 1)
     * @param classify what an exception thrown by the task means
     * @param attempts set to the number of the attempt under way, for the caller's events
     * @throws IllegalStateException if the runner is closed
     */
    <T> Outcome<T> call(Policy policy, String key, IntFunction<Callable<T>> task, Function<Throwable, Failure> classify,
            BeforeAttempt before, int[] attempts) {
        Failure failure = null;
        int attempt = 0;
        while (attempt < policy.maxAttempts()) {
            attempt++;
            attempts[0] = attempt;
            before.before(attempt);
            long deadline = System.nanoTime() + policy.timeout().toNanos();
            Run<T> run = null;
            try {
                run = start(key, observers.wrap(task.apply(attempt)), deadline);
                if (run == null) {
                    failure = new Failure(new TimeoutException(), true, "an earlier run of this call, stopped after its"
                            + " timeout, was still running " + policy.timeout() + " later");
                } else {
                    return new Outcome<>(await(run, policy, deadline), null, attempt);
                }
            } catch (GapException e) {
                run.stop();
                failure = new Failure(new TimeoutException(e.getMessage()), true, e.getMessage());
            } catch (TimeoutException e) {
                run.stop();
                failure = new Failure(e, true, policy.timeoutReason());
            } catch (ExecutionException e) {
                failure = classify.apply(e.getCause());
            } catch (RejectedExecutionException e) {
                if (threads.isShutdown()) {
                    throw new IllegalStateException("the turn service is closed", e);
                }
                failure = new Failure(e, true, "all " + MAX_THREADS + " threads of the turn service were busy");
            } catch (InterruptedException e) {
                if (run != null) {
                    run.stop();
                }
                Thread.currentThread().interrupt();
                return new Outcome<>(null, new Failure(e, true, "the calling thread was interrupted"), attempt);
            }
            if (!failure.retryable()) {
                return new Outcome<>(null, failure, attempt);
            }
            if (attempt < policy.maxAttempts()) {
                Observers.LOG.log(Level.DEBUG, policy.what() + ": attempt " + attempt + " failed with "
                        + StoreListener.outcome(failure.cause()) + "; retrying");
                LockSupport.parkNanos(Math.min(MAX_BACKOFF_NANOS, backoff.toNanos() << Math.min(attempt - 1, 20)));
            }
        }
        Observers.LOG.log(Level.WARNING, policy.what() + " gave up after " + attempt + (attempt == 1 ? " attempt" : " attempts") + "; last failure: "
                + StoreListener.outcome(failure.cause()));
        return new Outcome<>(null, failure, attempt);
    }

    /** An attempt went longer than its policy's gap without progress. */
    private static final class GapException extends Exception {
        private static final long serialVersionUID = 1L;

        GapException(String message) {
            super(message, null, false, false);
        }
    }

    /** The run's value, within the deadline and, with a gap, without a longer pause in its progress. */
    private static <T> T await(Run<T> run, Policy policy, long deadline)
            throws InterruptedException, ExecutionException, TimeoutException, GapException {
        if (policy.gap() == null) {
            return run.result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        long gap = policy.gap().toNanos();
        while (true) {
            long now = System.nanoTime();
            long stalled = policy.progress().getAsLong() + gap;
            if (stalled - now <= 0 && deadline - now > 0) {
                throw new GapException("no progress for " + policy.gap() + " (the gap timeout)");
            }
            try {
                return run.result.get(Math.max(0, Math.min(deadline, stalled) - now), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (deadline - System.nanoTime() <= 0) {
                    throw e;
                }
                // progress since, or the gap passed: look again
            }
        }
    }

    /**
     * Starts a run of the task; for a keyed call, only once the earlier run of its key has ended.
     *
     * @return the run, or null if an earlier run of the key was still running at the deadline
     */
    private <T> Run<T> start(String key, Callable<T> task, long deadline) throws InterruptedException {
        Run<T> run = new Run<>();
        if (key != null) {
            Run<?> earlier;
            while ((earlier = running.putIfAbsent(key, run)) != null) {
                try {
                    earlier.result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (ExecutionException e) {
                    // it ended: its outcome was another attempt's
                } catch (TimeoutException e) {
                    return null;
                }
            }
        }
        try {
            threads.execute(() -> {
                run.started(Thread.currentThread());
                T value = null;
                Throwable failed = null;
                try {
                    value = task.call();
                } catch (Throwable t) {
                    failed = t;
                }
                // the key is free before anyone waiting for this run wakes up
                if (key != null) {
                    running.remove(key, run);
                }
                run.ended();
                if (failed == null) {
                    run.result.complete(value);
                } else {
                    run.result.completeExceptionally(failed);
                }
            });
        } catch (RejectedExecutionException e) {
            if (key != null) {
                running.remove(key, run);
            }
            throw e;
        }
        return run;
    }

    boolean isClosed() {
        return threads.isShutdown();
    }

    /** Stops the threads; runs under way are interrupted. */
    @Override
    public void close() {
        threads.shutdownNow();
    }
}
