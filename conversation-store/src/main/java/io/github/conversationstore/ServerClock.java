package io.github.conversationstore;

import com.mongodb.client.MongoDatabase;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.bson.Document;

/**
 * The database server's time, as seen from this JVM: the primary's clock ({@code localTime} of
 * {@code isMaster}), read at the midpoint of the round trip, measured at most every
 * {@value #REFRESH_SECONDS} seconds, and extrapolated in between with the JVM's monotonic clock
 * ({@link System#nanoTime()}), never its wall clock: stepping the JVM's clock after a measurement
 * changes nothing. Leases and {@code updatedAt} are judged by it, so JVMs whose clocks disagree
 * still agree on expiry: the remaining error is half a round trip plus the drift of the monotonic
 * clock since the last measurement. If the server cannot be asked, the last measurement (initially
 * none) is kept.
 *
 * <p>The probe is {@code isMaster}, which MongoDB (as the deprecated alias of {@code hello}) and the
 * embedded server both answer, so a healthy start logs no error on either. Through {@code mongos},
 * {@code localTime} is the clock of the router that answered, and the driver spreads commands over
 * every router it knows, so successive measurements may come from routers whose clocks differ by
 * their (NTP) spread. The estimate is therefore the most advanced of the last
 * {@value #WINDOW} measurements (about two minutes of them), extrapolated, and it never goes back:
 * it does not alternate between routers, and a JVM that has measured the most advanced router
 * stays on it. What remains is the routers' spread, which docs/SHARDING.md shows is harmless to
 * leases (a lease is a fencing token) and retention (a TTL of at least a second, the sweep uses no
 * time).
 */
final class ServerClock {
    static final int REFRESH_SECONDS = 30;
    /** How many recent measurements the estimate takes the most advanced of. */
    static final int WINDOW = 4;
    private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(REFRESH_SECONDS);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

    private final Clock clock;
    private final Supplier<Document> probe;
    private final LongSupplier nanoTime;
    private final ReentrantLock measuring = new ReentrantLock();
    /** The last {@value #WINDOW} measurements, newest last; written under {@link #measuring}. */
    private volatile List<Measurement> recent = List.of();
    private volatile long measuredAtNanos;
    private volatile boolean measured;
    /** The latest estimate handed out (epoch millis): the estimate never goes back. */
    private final AtomicLong handedOut = new AtomicLong(Long.MIN_VALUE);

    /** The server's time {@code serverMillis} at the monotonic instant {@code nanos}; null server time: none given. */
    private record Measurement(long serverMillis, long nanos) {}

    ServerClock(Clock clock, MongoDatabase database) {
        this(clock, database, System::nanoTime);
    }

    /**
     * Test seam: {@code nanoTime} stands for {@link System#nanoTime()} in the extrapolation (a test
     * moves it to make the server's time pass); measurements stay every 30 s of real time.
     */
    ServerClock(Clock clock, MongoDatabase database, LongSupplier nanoTime) {
        this(clock, () -> database.withTimeout(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .runCommand(new Document("isMaster", 1)), nanoTime);
    }

    /** Test seam: {@code probe} stands for the {@code isMaster} command (a test answers it as several routers). */
    ServerClock(Clock clock, Supplier<Document> probe, LongSupplier nanoTime) {
        this.clock = clock;
        this.probe = probe;
        this.nanoTime = nanoTime;
    }

    /** Test seam: measures now, whenever the last measurement was taken. */
    void measureNow() {
        measuring.lock();
        try {
            measure();
        } finally {
            measuring.unlock();
        }
    }

    /**
     * The server's current time, estimated. Until a first measurement has succeeded, every caller
     * waits for one (one at a time), and fails as retryable if the server cannot be asked: the
     * JVM's own clock is never used uncorrected. A server that answers without {@code localTime}
     * leaves the JVM's clock in use.
     */
    Instant now() {
        if (!measured) {
            measuring.lock();
            try {
                if (!measured) {
                    measure();
                }
            } finally {
                measuring.unlock();
            }
            if (!measured) {
                throw new ConversationStoreUnavailableException(
                        "could not read the database server's time; the outcome is unknown: retry", null);
            }
        } else if (System.nanoTime() - measuredAtNanos > REFRESH_NANOS && measuring.tryLock()) {
            try {
                measure();
            } finally {
                measuring.unlock();
            }
        }
        List<Measurement> window = recent;
        if (window.isEmpty()) {
            return clock.instant(); // the server gave no localTime
        }
        long nanos = nanoTime.getAsLong();
        long best = Long.MIN_VALUE;
        for (Measurement m : window) {
            best = Math.max(best, m.serverMillis() * 1_000_000L + (nanos - m.nanos()));
        }
        long estimate = best;
        long millis = Math.floorDiv(estimate, 1_000_000L);
        long floor = handedOut.accumulateAndGet(millis, Math::max);
        return floor > millis ? Instant.ofEpochMilli(floor) : Instant.ofEpochSecond(0, 0).plusNanos(estimate);
    }

    private void measure() {
        measuredAtNanos = System.nanoTime(); // when to measure again: real time, whatever the seam says
        try {
            long before = nanoTime.getAsLong();
            Document reply = probe.get();
            long after = nanoTime.getAsLong();
            if (reply.get("localTime") instanceof Date serverTime) {
                List<Measurement> next = new ArrayList<>(recent);
                next.add(new Measurement(serverTime.getTime(), before + (after - before) / 2));
                if (next.size() > WINDOW) {
                    next.remove(0);
                }
                recent = List.copyOf(next);
            }
            measured = true; // without localTime, the JVM's clock is all there is
        } catch (RuntimeException e) {
            // keep the last measurement; before the first, callers fail as retryable
        }
    }

}
