package io.github.conversationstore;

import com.mongodb.client.MongoDatabase;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.bson.Document;

/**
 * The database server's time, as seen from this JVM: the local clock corrected by the offset of
 * the primary's clock ({@code localTime} of {@code isMaster}), measured at most every
 * {@value #REFRESH_SECONDS} seconds and taken at the midpoint of the round trip. Leases and
 * {@code updatedAt} are judged by it, so JVMs whose clocks disagree still agree on expiry: the
 * remaining error is half a round trip plus the drift of the local clock since the last measurement.
 * If the server cannot be asked, the last offset (initially none) is kept.
 */
final class ServerClock {
    static final int REFRESH_SECONDS = 30;
    private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(REFRESH_SECONDS);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

    private final Clock clock;
    private final MongoDatabase database;
    private final ReentrantLock measuring = new ReentrantLock();
    private volatile long offsetMillis;
    private volatile long measuredAtNanos;
    private volatile boolean measured;
    private volatile boolean helloUnknown;

    ServerClock(Clock clock, MongoDatabase database) {
        this.clock = clock;
        this.database = database;
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
        return clock.instant().plusMillis(offsetMillis);
    }

    private void measure() {
        measuredAtNanos = System.nanoTime();
        try {
            Instant before = clock.instant();
            Document reply = probe();
            Instant after = clock.instant();
            Object serverTime = reply.get("localTime");
            if (serverTime instanceof Date) {
                long midpoint = before.toEpochMilli() + (after.toEpochMilli() - before.toEpochMilli()) / 2;
                offsetMillis = ((Date) serverTime).getTime() - midpoint;
            }
            measured = true; // without localTime, the JVM's clock is all there is
        } catch (RuntimeException e) {
            // keep the last offset; before the first measurement, callers fail as retryable
        }
    }

    /** {@code hello}, or {@code isMaster} where {@code hello} is unknown (servers before 4.4.2, the embedded one). */
    private Document probe() {
        MongoDatabase db = database.withTimeout(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (!helloUnknown) {
            try {
                return db.runCommand(new Document("hello", 1));
            } catch (com.mongodb.MongoCommandException e) {
                helloUnknown = true; // asked once per store, not at every measurement
            }
        }
        return db.runCommand(new Document("isMaster", 1));
    }
}
