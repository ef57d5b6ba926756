package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.bson.BsonDocument;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Until {@code ServerClock} has measured the server's clock once, every operation of the store
 * uses the JVM's own clock uncorrected: while the first measurement is in flight (other threads
 * do not wait for it, {@code tryLock}), and for as long as measurements fail. A JVM whose clock is
 * 95 s ahead then takes a live 90 s lease, and a JVM whose clock is 3 h behind writes an
 * {@code updatedAt} 3 h in the past (the retention TTL judges by it), which is exactly what
 * {@code SkewedClockLeaseTest} says cannot happen. Here the concurrent operation is run from a
 * hook in the measuring thread, right after the server answered the probe and before the offset
 * is stored: a request served by another thread of a freshly started JVM.
 */
class UnmeasuredServerClockTest extends EmbeddedMongoTestBase {

    private static final Predicate<BsonDocument> CLOCK_PROBE =
            c -> c.containsKey("isMaster") || c.containsKey("ismaster") || c.containsKey("hello");

    private static MongoConversationStore.Builder store(MongoClient client, String collection, Duration skew) {
        // without index creation, build() does not measure the clock: the first operation does
        return MongoConversationStore.builder().client(client).database("issues").collection(collection)
                .createIndexes(false).clock(Clock.offset(Clock.systemUTC(), skew));
    }

    /** Starts {@code action} in another thread, which the test joins later: a concurrent request. */
    private static Thread inAnotherThread(Runnable action) {
        Thread t = new Thread(action, "concurrent-request");
        t.start();
        return t;
    }

    @Test
    void jvmWhoseClockIsAhead_takesNoLiveLease_whileItsFirstClockMeasurementIsInFlight() throws InterruptedException {
        String collection = "clock" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        try (MongoClient aheadClient = hooks.client(server.connectionString());
                MongoConversationStore honest = store(client, collection, Duration.ZERO).createIndexes(true).build();
                MongoConversationStore ahead = store(aheadClient, collection, Duration.ofSeconds(95)).build()) {
            assertThat(honest.tryAcquireLease("s", "en", "holder", Duration.ofSeconds(90))).isTrue();
            AtomicReference<Object> intruder = new AtomicReference<>();
            AtomicReference<Thread> concurrent = new AtomicReference<>();
            hooks.afterSuccess(CLOCK_PROBE, () -> concurrent.set(inAnotherThread(() -> {
                try {
                    intruder.set(ahead.tryAcquireLease("s", "en", "intruder", Duration.ofSeconds(90)));
                } catch (RuntimeException e) {
                    intruder.set(e);
                }
            })));

            // the first operation of the skewed store: it measures the server's clock
            ahead.appendMessages("another-session", "en", List.of(Message.user("hello")));
            concurrent.get().join(10_000);

            assertThat(hooks.started(CLOCK_PROBE)).as("the store probed the server's clock").isNotEmpty();
            assertThat(intruder.get()).as("a live lease of another holder is not taken").isEqualTo(false);
            assertThat(honest.renewLease("s", "holder", Duration.ofSeconds(90))).isTrue();
        }
    }

    @Test
    void jvmWhoseClockIsBehind_writesNoUpdatedAtInThePast_whileItsFirstClockMeasurementIsInFlight() throws InterruptedException {
        String collection = "clock" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        store(client, collection, Duration.ZERO).createIndexes(true).build().close(); // the unique index
        try (MongoClient behindClient = hooks.client(server.connectionString());
                MongoConversationStore behind = store(behindClient, collection, Duration.ofHours(-3)).build()) {
            AtomicReference<RuntimeException> failure = new AtomicReference<>();
            AtomicReference<Thread> concurrent = new AtomicReference<>();
            hooks.afterSuccess(CLOCK_PROBE, () -> concurrent.set(inAnotherThread(() -> {
                try {
                    behind.appendMessages("s", "en", List.of(Message.user("hi")));
                } catch (RuntimeException e) {
                    failure.set(e);
                }
            })));
            Instant before = Instant.now();

            behind.appendMessages("another-session", "en", List.of(Message.user("hello")));
            concurrent.get().join(10_000);

            Instant after = Instant.now();
            assertThat(failure.get()).isNull();
            Document head = client.getDatabase("issues").getCollection(collection)
                    .find(new Document("sessionId", "s")).first();
            // the retention TTL index judges updatedAt by the server's clock (the same as this test's)
            assertThat(head.getDate("updatedAt").toInstant()).isBetween(before.minusSeconds(5), after.plusSeconds(5));
        }
    }
}
