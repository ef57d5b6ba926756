package io.github.conversationstore;

import io.github.conversationstore.spi.StoreListener;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A turn's hold on its session's lease: taking it (waiting as the {@link BusyPolicy} says, and
 * under {@link BusyPolicy#INTERRUPT} asking the running turn to stop), renewing it before an
 * attempt that could outlast it, and giving it back. Not thread-safe (the turn's thread uses it).
 */
final class TurnLease {
    /** How often a turn waiting under {@link BusyPolicy#INTERRUPT} asks the running turn again to stop. */
    private static final long INTERRUPT_ROUND_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** Lease left, beyond an attempt's timeout, below which the lease is renewed before the attempt. */
    private static final long LEASE_MARGIN_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final TurnSettings settings;
    private final TurnRequest turn;
    private final String holder;
    /** When ({@link System#nanoTime()}) the turn was asked for: its wait for the session counts from here. */
    private final long created = System.nanoTime();
    /** When ({@link System#nanoTime()}) the command that last took or extended the lease was sent. */
    private long extendedAt;

    TurnLease(TurnSettings settings, TurnRequest turn, String holder) {
        this.settings = settings;
        this.turn = turn;
        this.holder = holder;
    }

    /** A command sent at {@code sent} ({@link System#nanoTime()}) extended the lease (a fenced append that renews). */
    void extendedAt(long sent) {
        extendedAt = sent;
    }

    /** Gives the lease back; false if the store did not confirm it (the lease then expires on its own). */
    boolean release() {
        // release even when interrupted: a driver refuses I/O on an interrupted thread
        boolean interrupted = Thread.interrupted();
        try {
            settings.store().releaseLease(turn.sessionId(), holder);
            return true;
        } catch (ConversationStoreException e) {
            return false;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Takes the session's lease, waiting for it as the busy policy says. */
    void acquire() {
        long start = System.nanoTime();
        long deadline = waitDeadline();
        long pause = TimeUnit.MILLISECONDS.toNanos(5);
        long nextInterrupt = start;
        boolean waited = false;
        while (!tryAcquire()) {
            waited = true;
            long now = System.nanoTime();
            if (now - nextInterrupt >= 0) {
                interruptRunning();
                nextInterrupt = now + INTERRUPT_ROUND_NANOS;
            }
            long left = deadline - now;
            if (left <= 0) {
                leaseWait(start, true);
                throw busy();
            }
            LockSupport.parkNanos(Math.min(left, pause));
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(100));
        }
        if (waited) {
            leaseWait(start, false);
        }
    }

    /** How long this turn waits for its session, by the busy policy. */
    private Duration waitLimit() {
        return settings.busyPolicy() == BusyPolicy.REJECT ? settings.busyTimeout() : settings.queueTimeout();
    }

    /** When ({@link System#nanoTime()}) waiting for the session ends. */
    long waitDeadline() {
        return created + waitLimit().toNanos();
    }

    String sessionId() {
        return turn.sessionId();
    }

    /** Whether this turn waits for the other turns of its session in this service first. */
    boolean queues() {
        return settings.busyPolicy() != BusyPolicy.REJECT;
    }

    ConversationBusyException busy() {
        return new ConversationBusyException("session '" + turn.sessionId() + "' is busy with another turn;"
                + " waited " + waitLimit() + " for it (" + settings.busyPolicy() + "): retry turn " + turn.turnId()
                + " later");
    }

    /**
     * Under {@link BusyPolicy#INTERRUPT}: asks the session's other streaming turns to stop (their
     * text so far becomes their reply). A store that did not answer is asked again in the next round.
     */
    void interruptRunning() {
        DraftStore drafts = StoreGate.draftsOf(settings.store());
        if (settings.busyPolicy() != BusyPolicy.INTERRUPT || drafts == null) {
            return;
        }
        try {
            drafts.stopOthers(turn.sessionId(), turn.turnId(), settings.leaseDuration());
        } catch (ConversationStoreException e) {
            // asked again while this turn waits
        }
    }

    private void leaseWait(long start, boolean busy) {
        Observers observers = settings.observers();
        if (observers.active()) {
            String session = observers.session(turn.sessionId());
            observers.emit(l -> l.onLeaseWait(new StoreListener.LeaseWait(session, Observers.since(start), busy)));
        }
    }

    private boolean tryAcquire() {
        long sent = System.nanoTime();
        // not keyed by the turn id: taking over a live lease of the same turn would also fence out a
        // concurrent respond of that turn that is still working (a double click), making it fail
        boolean taken = settings.store().tryAcquireLease(turn.sessionId(), turn.language(), holder, settings.leaseDuration());
        if (taken) {
            extendedAt = sent;
        }
        return taken;
    }

    /**
     * Before an attempt that may take {@code timeout}: renews the lease unless what is left of it
     * (counted from when the command that last took or extended it was sent, so never more than the
     * store gave) covers the attempt and a margin. A live turn so never loses its lease, and a
     * quick turn makes no renewal at all.
     */
    void cover(Duration timeout) {
        long left = extendedAt + settings.leaseDuration().toNanos() - System.nanoTime();
        if (left < timeout.toNanos() + LEASE_MARGIN_NANOS) {
            renewOrFail();
        }
    }

    private void renewOrFail() {
        long sent = System.nanoTime();
        if (settings.store().renewLease(turn.sessionId(), holder, settings.leaseDuration())) {
            extendedAt = sent;
        } else {
            throw new LeaseLostException("turn " + turn.turnId() + " lost the lease of session '"
                    + turn.sessionId() + "' (it expired and another turn took it): retry with the same turn id");
        }
    }
}
