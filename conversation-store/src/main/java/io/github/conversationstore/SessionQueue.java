package io.github.conversationstore;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The turns of one turn service that wait for their session ({@link BusyPolicy#QUEUE},
 * {@link BusyPolicy#INTERRUPT}), in the order they came: a fair lock per session, held for the
 * whole turn, so that two messages typed quickly are answered in the order they were sent. The
 * lock of a session no turn waits for is forgotten.
 */
final class SessionQueue {
    private static final long ROUND_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock(true);
        int users;
    }

    private final Map<String, Entry> entries = new HashMap<>();

    /**
     * Runs {@code work} once the turns of the session that came before it here have ended.
     *
     * @param deadline when ({@link System#nanoTime()}) to give up waiting
     * @param waiting called before the first wait and then every 250 ms of waiting
     * @param timedOut the exception thrown when the deadline passes first (or the thread is interrupted)
     */
    <T> T inOrder(String sessionId, long deadline, Runnable waiting, Supplier<RuntimeException> timedOut,
            Supplier<T> work) {
        Entry entry;
        synchronized (this) {
            entry = entries.computeIfAbsent(sessionId, s -> new Entry());
            entry.users++;
        }
        try {
            if (!entry.lock.tryLock()) {
                if (!await(entry.lock, deadline, waiting)) {
                    throw timedOut.get();
                }
            }
            try {
                return work.get();
            } finally {
                entry.lock.unlock();
            }
        } finally {
            synchronized (this) {
                if (--entry.users == 0) {
                    entries.remove(sessionId);
                }
            }
        }
    }

    private static boolean await(ReentrantLock lock, long deadline, Runnable waiting) {
        try {
            while (true) {
                waiting.run();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                if (lock.tryLock(Math.min(left, ROUND_NANOS), TimeUnit.NANOSECONDS)) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    synchronized int size() {
        return entries.size();
    }
}
