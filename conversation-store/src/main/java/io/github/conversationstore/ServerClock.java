package io.github.conversationstore;

import com.mongodb.client.MongoDatabase;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
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
 * {@code localTime} is the router's clock, not a shard's: the routers' clocks must then agree as
 * the shards' do.
 */
final class ServerClock {
    static final int REFRESH_SECONDS = 30;
    private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(REFRESH_SECONDS);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

    private final Clock clock;
    private final MongoDatabase database;
    private final LongSupplier nanoTime;
    private final ReentrantLock measuring = new ReentrantLock();
    /** The last measurement: the server's time at the monotonic instant {@link #measuredAtNanos}. */
    private volatile Measurement last;
    private volatile long measuredAtNanos;
    private volatile boolean measured;

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
        this.clock = clock;
        this.database = database;
        this.nanoTime = nanoTime;
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
        Measurement m = last;
        if (m == null) {
            return clock.instant(); // the server gave no localTime
        }
        return Instant.ofEpochMilli(m.serverMillis()).plusNanos(nanoTime.getAsLong() - m.nanos());
    }

    private void measure() {
        measuredAtNanos = System.nanoTime(); // when to measure again: real time, whatever the seam says
        try {
            long before = nanoTime.getAsLong();
            Document reply = probe();
            long after = nanoTime.getAsLong();
            if (reply.get("localTime") instanceof Date serverTime) {
                last = new Measurement(serverTime.getTime(), before + (after - before) / 2);
            }
            measured = true; // without localTime, the JVM's clock is all there is
        } catch (RuntimeException e) {
            // keep the last measurement; before the first, callers fail as retryable
        }
    }

    private Document probe() {
        return database.withTimeout(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .runCommand(new Document("isMaster", 1));
    }
}
