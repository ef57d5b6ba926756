package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.adk.events.Event;
import com.google.adk.sessions.Session;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two sessions of one user, each on its own application instance, write {@code user:} and
 * {@code app:} state at once: no key is lost, a key both write holds the write that came last in
 * the user's state conversation, and every session of the user reads the same user state.
 */
class SharedStateConcurrencyTest {
    private static final int THREADS = 4;
    private static final int EVENTS = 20;

    @Test
    void twoSessionsOfOneUser_writeUserAndAppStateAtOnce_noDeltaLost() throws Exception {
        String database = Stores.newDatabase();
        try (ConversationStore a = MongoConversationStore.builder().connectionString(Stores.server().connectionString())
                        .database(database).build();
                ConversationStore b = MongoConversationStore.builder().connectionString(Stores.server().connectionString())
                        .database(database).build()) {
            ConversationStoreSessionService[] services = {
                ConversationStoreSessionService.builder(a).build(), ConversationStoreSessionService.builder(b).build()};
            services[0].createSession("app", "ana", new HashMap<>(), "s1").blockingGet();
            services[1].createSession("app", "ana", new HashMap<>(), "s2").blockingGet();
            String[] sessionIds = {"s1", "s2"};

            ExecutorService pool = Executors.newFixedThreadPool(2 * THREADS);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                for (int t = 0; t < THREADS; t++) {
                    int instance = i;
                    int thread = t;
                    done.add(pool.submit(() -> {
                        start.await();
                        Session session = services[instance].getSession("app", "ana", sessionIds[instance],
                                Optional.empty()).blockingGet();
                        for (int n = 0; n < EVENTS; n++) {
                            String who = instance + "-" + thread + "-" + n;
                            Event event = Events.withDelta(Map.of("user:k-" + who, n, "app:k-" + who, n,
                                    "user:last", who, "own-" + who, n));
                            services[instance].appendEvent(session, event).blockingGet();
                        }
                        return null;
                    }));
                }
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
            pool.shutdown();

            Session s1 = services[0].getSession("app", "ana", "s1", Optional.empty()).blockingGet();
            Session s2 = services[1].getSession("app", "ana", "s2", Optional.empty()).blockingGet();
            for (int i = 0; i < 2; i++) {
                for (int t = 0; t < THREADS; t++) {
                    for (int n = 0; n < EVENTS; n++) {
                        String who = i + "-" + t + "-" + n;
                        assertThat(s1.state()).containsEntry("user:k-" + who, n).containsEntry("app:k-" + who, n);
                        assertThat(s2.state()).containsEntry("user:k-" + who, n).containsEntry("app:k-" + who, n);
                        // session state stays in its session
                        assertThat(i == 0 ? s1.state() : s2.state()).containsEntry("own-" + who, n);
                        assertThat(i == 0 ? s2.state() : s1.state()).doesNotContainKey("own-" + who);
                    }
                }
            }
            assertThat(s1.events()).hasSize(THREADS * EVENTS);
            assertThat(s2.events()).hasSize(THREADS * EVENTS);
            // the key both sessions write: the last delta in the user's state conversation
            List<StoredMessage> last = a.recentMessages("adk-user/app/ana", 1);
            @SuppressWarnings("unchecked")
            Map<String, Object> delta = (Map<String, Object>) last.get(0).message().metadata().get("delta");
            assertThat("=\"" + s1.state().get("user:last") + "\"").isEqualTo(delta.get("s:last"));
            assertThat(s2.state().get("user:last")).isEqualTo(s1.state().get("user:last"));
            assertThat(a.findConversation("adk-user/app/ana").orElseThrow().messageCount()).isEqualTo(2L * THREADS * EVENTS);
        }
    }
}
