package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.adk.events.Event;
import com.google.adk.sessions.Session;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * While another instance appends, every {@code getSession} returns a state that is exactly the
 * state after the events it returns: the header is read first, then the events it accounts for.
 */
class ConsistentReadsTest {
    @Test
    void getSession_duringAppendsFromAnotherInstance_stateMatchesTheEventsReturned() throws Exception {
        String database = Stores.newDatabase();
        try (ConversationStore writerStore = MongoConversationStore.builder()
                        .connectionString(Stores.server().connectionString()).database(database).build();
                ConversationStore readerStore = MongoConversationStore.builder()
                        .connectionString(Stores.server().connectionString()).database(database).build()) {
            ConversationStoreSessionService writer = ConversationStoreSessionService.builder(writerStore).build();
            ConversationStoreSessionService reader = ConversationStoreSessionService.builder(readerStore).build();
            Session session = writer.createSession("app", "ana", new HashMap<>(), "s").blockingGet();
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger reads = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            Future<?> appends = pool.submit(() -> {
                try {
                    for (int n = 1; n <= 150; n++) {
                        writer.appendEvent(session, Events.withDelta(Map.of("step", n, "step-" + n, true))).blockingGet();
                    }
                } finally {
                    writing.set(false);
                }
                return null;
            });
            Future<?> checks = pool.submit(() -> {
                while (writing.get()) {
                    Session read = reader.getSession("app", "ana", "s", Optional.empty()).blockingGet();
                    List<Event> events = read.events();
                    int last = events.isEmpty() ? 0 : (Integer) events.get(events.size() - 1).actions().stateDelta().get("step");
                    assertThat(events).hasSize(last);
                    if (last == 0) {
                        assertThat(read.state()).doesNotContainKey("step");
                    } else {
                        assertThat(read.state()).containsEntry("step", last).containsKey("step-" + last)
                                .doesNotContainKey("step-" + (last + 1));
                    }
                    reads.incrementAndGet();
                }
                return null;
            });
            appends.get(5, TimeUnit.MINUTES);
            checks.get(5, TimeUnit.MINUTES);
            pool.shutdown();
            assertThat(reads.get()).isPositive();
        }
    }
}
