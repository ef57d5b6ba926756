package io.github.conversationstore;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The turns of one turn service that wait for their session ({@link BusyPolicy#QUEUE},
 * {@link BusyPolicy#INTERRUPT}), in the order they came: a ticket per turn, served in order, held
 * for the whole turn, so that two messages typed quickly are answered in the order they were sent;
 * a turn that gives up waiting gives up its ticket. The line of a session no turn waits for is
 * forgotten.
 */
final class SessionQueue {
    private static final long ROUND_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    /** A session's waiting line: tickets served in order; a ticket whose turn gave up is skipped. */
    private static final class Entry {
        long next;
        long serving;
        final Set<Long> abandoned = new HashSet<>();
        int users;

        synchronized void done() {
            serving++;
            while (abandoned.remove(serving)) {
                serving++;
            }
            notifyAll();
        }
    }

    private final Map<String, Entry> entries = new HashMap<>();

    /** Runs the turn; under a queueing policy, after the session's turns that came before it here. */
    TurnResult run(TurnRun run) {
        TurnLease lease = run.lease();
        if (!lease.queues()) {
            return run.run();
        }
        return inOrder(lease.sessionId(), lease.waitDeadline(), lease::interruptRunning, lease::busy, run::run);
    }

    /**
     * Runs {@code work} once the turns of the session that came before it here have ended.
     *
     * @param deadline when ({@link System#nanoTime()}) to give up waiting
     * @param waiting called before the first wait and then every 250 ms of waiting (not holding a lock)
     * @param timedOut the exception thrown when the deadline passes first (or the thread is interrupted)
     */
    <T> T inOrder(String sessionId, long deadline, Runnable waiting, Supplier<RuntimeException> timedOut,
            Supplier<T> work) {
        Entry entry;
        long ticket;
        synchronized (this) {
            entry = entries.computeIfAbsent(sessionId, s -> new Entry());
            entry.users++;
        }
        synchronized (entry) {
            ticket = entry.next++;
        }
        try {
            if (!await(entry, ticket, deadline, waiting)) {
                throw timedOut.get();
            }
            try {
                return work.get();
            } finally {
                entry.done();
            }
        } finally {
            synchronized (this) {
                if (--entry.users == 0) {
                    entries.remove(sessionId);
                }
            }
        }
    }

    /** Waits for the ticket's turn; false (the ticket given up, so that later ones are served) past the deadline. */
    private static boolean await(Entry entry, long ticket, long deadline, Runnable waiting) {
        boolean interrupted = false;
        while (true) {
            synchronized (entry) {
                if (entry.serving == ticket) {
                    return true;
                }
            }
            waiting.run();
            long left = deadline - System.nanoTime();
            synchronized (entry) {
                if (entry.serving == ticket) {
                    return true;
                }
                if (left <= 0 || interrupted) {
                    entry.abandoned.add(ticket);
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                    return false;
                }
                try {
                    long wait = Math.min(left, ROUND_NANOS);
                    entry.wait(TimeUnit.NANOSECONDS.toMillis(wait), (int) (wait % 1_000_000));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
    }

    synchronized int size() {
        return entries.size();
    }
}
