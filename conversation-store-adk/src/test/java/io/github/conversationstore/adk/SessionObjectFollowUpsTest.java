package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.adk.events.Event;
import com.google.adk.sessions.Session;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.ForwardingConversationStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Review follow-ups on the {@link Session} object: its last update time, appends from several
 * threads on one object, and a {@code createSession} retried after its reply was lost.
 */
class SessionObjectFollowUpsTest {
    /** The stores, with a clock an hour ahead of this JVM's (the store's clock is not the events'). */
    static Stream<Stores.Kind> skewedStores() {
        Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofHours(1));
        return Stream.of(
                new Stores.Kind("in-memory, clock an hour ahead", () -> InMemoryConversationStore.builder().clock(ahead).build()),
                new Stores.Kind("mongodb (embedded server), clock an hour ahead", () -> MongoConversationStore.builder()
                        .connectionString(Stores.server().connectionString()).database(Stores.newDatabase())
                        .clock(ahead).build()));
    }

    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("skewedStores")
    void lastUpdateTime_isOnTheEventsClock_fromCreationOn_andNeverGoesBackAcrossTheFirstEvent(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Instant before = Instant.now();
            Session created = service.createSession("app", "ana", Map.of(), "s").blockingGet();
            Instant afterCreate = Instant.now();
            Instant readCreated = service.getSession("app", "ana", "s", Optional.empty()).blockingGet().lastUpdateTime();
            assertThat(created.lastUpdateTime()).isBetween(before.minusMillis(1), afterCreate.plusMillis(1));
            assertThat(readCreated).isEqualTo(created.lastUpdateTime());

            Event event = Events.user("hello");
            service.appendEvent(created, event).blockingGet();
            Session read = service.getSession("app", "ana", "s", Optional.empty()).blockingGet();
            assertThat(read.lastUpdateTime()).isEqualTo(Instant.ofEpochMilli(event.timestamp()))
                    .isEqualTo(created.lastUpdateTime())
                    .isAfterOrEqualTo(readCreated);
            assertThat(service.listSessions("app", "ana").blockingGet().sessions().get(0).lastUpdateTime())
                    .isEqualTo(read.lastUpdateTime());
        }
    }

    /**
     * Holds the first event append it sees after the store acknowledged it, until another
     * {@code appendEvent} returned, or for a second at most (which a serialized one waits out).
     */
    static final class SlowAcknowledgement extends ForwardingConversationStore {
        final AtomicBoolean armed = new AtomicBoolean();
        final CountDownLatch otherDone = new CountDownLatch(1);

        SlowAcknowledgement(ConversationStore delegate) {
            super(delegate);
        }

        @Override
        public AppendResult appendMessages(AppendRequest request) {
            AppendResult result = super.appendMessages(request);
            if (request.sessionId().startsWith("adk/")) {
                if (armed.getAndSet(false)) {
                    try {
                        otherDone.await(1, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            return result;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void twoThreadsAppendingThroughOneSessionObject_addTheEventsInTheOrderTheyWereStored(Stores.Kind kind)
            throws Exception {
        try (ConversationStore base = kind.open()) {
            SlowAcknowledgement store = new SlowAcknowledgement(base);
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "ana", Map.of(), "s").blockingGet();
            service.appendEvent(session, Events.model("warm-up")).blockingGet(); // classes loaded: both start at once
            Event first = Events.model("first");
            Event second = Events.model("second");
            store.armed.set(true);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<Event>> appends = new ArrayList<>();
                for (Event event : List.of(first, second)) {
                    appends.add(pool.submit(() -> {
                        Event done = service.appendEvent(session, event).blockingGet();
                        store.otherDone.countDown();
                        return done;
                    }));
                }
                for (Future<Event> append : appends) {
                    append.get(10, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            Function<Session, List<String>> ids = s -> s.events().stream().map(Event::id).toList();
            List<String> stored = ids.apply(service.getSession("app", "ana", "s", Optional.empty()).blockingGet());
            assertThat(stored).hasSize(3).contains(first.id(), second.id());
            assertThat(ids.apply(session)).isEqualTo(stored);
            Event last = stored.get(2).equals(first.id()) ? first : second;
            assertThat(session.lastUpdateTime()).isEqualTo(Instant.ofEpochMilli(last.timestamp()));
        }
    }

    /** Loses the reply of the first session creation after the store applied it. */
    static final class LostCreationReply extends ForwardingConversationStore {
        final AtomicBoolean armed = new AtomicBoolean(true);

        LostCreationReply(ConversationStore delegate) {
            super(delegate);
        }

        @Override
        public AppendResult appendMessages(AppendRequest request) {
            AppendResult result = super.appendMessages(request);
            if (request.sessionId().startsWith("adk/") && armed.getAndSet(false)) {
                throw new ConversationStoreUnavailableException("injected: the reply was lost after the write", null);
            }
            return result;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void createSession_retriedAfterALostReply_byResubscribing_createsOneSession(Stores.Kind kind) {
        try (ConversationStore base = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(new LostCreationReply(base))
                    .build();
            Session session = service.createSession("app", "ana", Map.of("level", "A2", "user:name", "Ana"), "s")
                    .retry(1).blockingGet();

            assertThat(session.id()).isEqualTo("s");
            assertThat(session.state()).containsEntry("level", "A2").containsEntry("user:name", "Ana");
            assertThat(service.listSessions("app", "ana").blockingGet().sessionIds()).containsExactly("s");
            assertThat(base.findConversation(StoreKeys.session("app", "ana", "s")).orElseThrow().messageCount())
                    .isEqualTo(1); // one creation mark, not two
        }
    }
}
