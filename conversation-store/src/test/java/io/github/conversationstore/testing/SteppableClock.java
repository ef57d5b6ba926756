package io.github.conversationstore.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A JVM wall clock that a test steps forwards or backwards at will, as NTP or an operator steps a
 * machine's clock: the system clock plus an offset that {@link #step(Duration)} changes at once.
 */
public final class SteppableClock extends Clock {
    private final AtomicLong offsetNanos;

    /** The system clock, offset by {@code initial}. */
    public SteppableClock(Duration initial) {
        this.offsetNanos = new AtomicLong(initial.toNanos());
    }

    /** Steps the clock by {@code by} (negative: backwards). */
    public void step(Duration by) {
        offsetNanos.addAndGet(by.toNanos());
    }

    /** The current offset from the system clock. */
    public Duration offset() {
        return Duration.ofNanos(offsetNanos.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a stepped clock is UTC");
    }

    @Override
    public Instant instant() {
        return Instant.now().plusNanos(offsetNanos.get());
    }
}
