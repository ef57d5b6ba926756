package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: through mongos, {@code localTime} is the answering router's clock, and the driver
 * spreads commands over the routers: with two routers 3 s apart, the server clock jumped 3 s back
 * and forth with every measurement, so a lease taken by this JVM could look expired to itself a
 * moment later, and {@code updatedAt} went back in time. Two routers are simulated here by two
 * clocks answering the probe in turn; the monotonic clock is the test's, so nothing depends on
 * the machine's speed.
 */
class ServerClockAlternatesBetweenRoutersTest {
    private static final Instant START = Instant.parse("2026-12-01T10:00:00Z");

    /** The probe's answer: router A's clock, or router B's, 3 s ahead, in turn. */
    private static Supplier<Document> twoRouters(AtomicLong nanos, AtomicInteger probes) {
        return () -> {
            long elapsedMillis = nanos.get() / 1_000_000L;
            boolean routerB = probes.getAndIncrement() % 2 == 1;
            return new Document("localTime", new Date(START.toEpochMilli() + elapsedMillis + (routerB ? 3_000 : 0)));
        };
    }

    @Test
    void measurementsThroughTwoRouters_neverMoveTheServerClockBack() {
        AtomicLong nanos = new AtomicLong();
        AtomicInteger probes = new AtomicInteger();
        ServerClock time = new ServerClock(Clock.systemUTC(), twoRouters(nanos, probes), nanos::get);

        Instant previous = time.now(); // first measurement: router A
        assertThat(previous).isEqualTo(START);
        for (int i = 0; i < 12; i++) {
            nanos.addAndGet(Duration.ofSeconds(30).toNanos());
            time.measureNow(); // router B, then A, then B...
            Instant now = time.now();
            assertThat(now).as("measurement %d", i + 2).isAfterOrEqualTo(previous);
            previous = now;
        }
        // once both routers were measured, the estimate follows the one ahead, steadily
        Instant expected = START.plus(Duration.ofSeconds(30 * 12)).plusSeconds(3);
        assertThat(previous).isEqualTo(expected);
    }
}
