package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.adk.events.Event;
import com.google.adk.sessions.GetSessionConfig;
import com.google.adk.sessions.Session;
import com.google.adk.sessions.SessionException;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.testing.ForwardingConversationStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Adversarial review of appends through one {@link Session} object while the store fails: a
 * failure of one append neither loses nor reorders another, and an event whose reply was lost,
 * retried after a later event was stored, takes its stored place in the object (its events, its
 * state and its last update agree with a fresh read).
 */
class AppendRetryKeepsStoreOrderTest {
    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    /** Fails the first append of each armed append id: after the store applied it, or before. */
    static final class Failing extends ForwardingConversationStore {
        final Set<String> loseReply = ConcurrentHashMap.newKeySet();
        final Set<String> refuse = ConcurrentHashMap.newKeySet();
        volatile CountDownLatch refused = new CountDownLatch(1);

        Failing(ConversationStore delegate) {
            super(delegate);
        }

        @Override
        public AppendResult appendMessages(AppendRequest request) {
            if (refuse.remove(request.appendId())) {
                refused.countDown();
                throw new ConversationStoreUnavailableException("injected: not applied", null);
            }
            AppendResult result = super.appendMessages(request);
            if (loseReply.remove(request.appendId())) {
                throw new ConversationStoreUnavailableException("injected: the reply was lost after the write", null);
            }
            return result;
        }
    }

    private static Event event(String key, String value, long timestamp) {
        return Events.withDelta(Map.of(key, value)).toBuilder().timestamp(timestamp).build();
    }

    private static List<String> ids(Session session) {
        return session.events().stream().map(Event::id).toList();
    }

    private static void assertAgreesWithAFreshRead(ConversationStoreSessionService service, Session session) {
        Session read = service.getSession("app", "ana", "s", Optional.empty()).blockingGet();
        assertThat(ids(session)).isEqualTo(ids(read));
        assertThat(session.state()).isEqualTo(read.state());
        assertThat(session.lastUpdateTime()).isEqualTo(read.lastUpdateTime());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void anEventRetriedAfterALostReply_afterALaterEventWasStored_takesItsStoredPlace(Stores.Kind kind) {
        try (ConversationStore base = kind.open()) {
            Failing store = new Failing(base);
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "ana", Map.of(), "s").blockingGet();
            Event first = event("level", "A1", 1_000);
            Event second = event("level", "B2", 2_000);
            Event third = event("topic", "verbs", 3_000);

            store.loseReply.add(StoreWrites.eventAppendId(first.id()));
            assertThatThrownBy(() -> service.appendEvent(session, first).blockingGet()).isInstanceOf(SessionException.class);
            assertThat(session.events()).isEmpty(); // unchanged by the failure
            service.appendEvent(session, second).blockingGet();
            service.appendEvent(session, third).blockingGet();
            Event retried = service.appendEvent(session, first).blockingGet(); // the same event: a duplicate

            assertThat(retried).isSameAs(first);
            assertThat(ids(session)).containsExactly(first.id(), second.id(), third.id());
            assertThat(session.state()).containsEntry("level", "B2").containsEntry("topic", "verbs");
            assertAgreesWithAFreshRead(service, session);
            service.appendEvent(session, first).blockingGet(); // once more: nothing changes
            assertThat(ids(session)).containsExactly(first.id(), second.id(), third.id());
            assertAgreesWithAFreshRead(service, session);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aRetryThroughASessionReadWithFewRecentEvents_keepsTheValueAnEventItDoesNotHoldSetLater(Stores.Kind kind) {
        try (ConversationStore base = kind.open()) {
            Failing store = new Failing(base);
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "ana", Map.of(), "s").blockingGet();
            Event first = event("level", "A1", 1_000);
            store.loseReply.add(StoreWrites.eventAppendId(first.id()));
            assertThatThrownBy(() -> service.appendEvent(session, first).blockingGet()).isInstanceOf(SessionException.class);
            service.appendEvent(session, event("level", "B2", 2_000)).blockingGet();
            Event third = event("topic", "verbs", 3_000);
            service.appendEvent(session, third).blockingGet();
            Session recent = service.getSession("app", "ana", "s",
                    Optional.of(GetSessionConfig.builder().numRecentEvents(1).build())).blockingGet();

            service.appendEvent(recent, first).blockingGet(); // a duplicate, stored before the one event it holds

            assertThat(ids(recent)).containsExactly(first.id(), third.id());
            assertThat(recent.state()).containsEntry("level", "B2").containsEntry("topic", "verbs");
            assertThat(recent.lastUpdateTime()).isEqualTo(Instant.ofEpochMilli(3_000));
            Session none = service.getSession("app", "ana", "s",
                    Optional.of(GetSessionConfig.builder().numRecentEvents(0).build())).blockingGet();
            service.appendEvent(none, first).blockingGet(); // it holds none of the events stored after it
            assertThat(ids(none)).containsExactly(first.id());
            assertThat(none.state()).containsEntry("level", "B2");
            assertThat(none.lastUpdateTime()).isEqualTo(Instant.ofEpochMilli(3_000));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void anEventFailedBetweenItsUserStateAndItself_retriedAfterALaterEvent_keepsTheLaterUserValue(Stores.Kind kind) {
        try (ConversationStore base = kind.open()) {
            Failing store = new Failing(base);
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "ana", Map.of(), "s").blockingGet();
            Event first = Events.withDelta(Map.of("step", 1, "user:level", "A1", "app:theme", "dark"))
                    .toBuilder().timestamp(1_000).build();
            Event second = Events.withDelta(Map.of("step", 2, "user:level", "B2", "app:theme", "light"))
                    .toBuilder().timestamp(2_000).build();

            // its user: and app: parts are written, then the event itself fails before the store applied it
            store.refuse.add(StoreWrites.eventAppendId(first.id()));
            assertThatThrownBy(() -> service.appendEvent(session, first).blockingGet()).isInstanceOf(SessionException.class);
            service.appendEvent(session, second).blockingGet();
            service.appendEvent(session, first).blockingGet(); // stored now, after the second

            assertThat(ids(session)).containsExactly(second.id(), first.id());
            // the session's own key follows the events' order; user: and app: keys their state conversations' order
            assertThat(session.state()).containsEntry("step", 1).containsEntry("user:level", "B2")
                    .containsEntry("app:theme", "light");
            assertAgreesWithAFreshRead(service, session);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void twoThreadsOnOneSessionObject_oneFailing_neitherLosesNorReordersTheOther(Stores.Kind kind) throws Exception {
        try (ConversationStore base = kind.open()) {
            Failing store = new Failing(base);
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "ana", Map.of(), "s").blockingGet();
            service.appendEvent(session, Events.model("warm-up")).blockingGet();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int round = 0; round < 10; round++) {
                    Event failing = event("k", "failing-" + round, 10_000 + 10L * round);
                    Event other = event("k", "other-" + round, 10_001 + 10L * round);
                    store.refused = new CountDownLatch(1);
                    store.refuse.add(StoreWrites.eventAppendId(failing.id()));
                    // in alternate rounds the other append waits until the failing one has failed
                    boolean afterFailure = round % 2 == 0;
                    List<Future<?>> appends = new ArrayList<>();
                    appends.add(pool.submit(() -> service.appendEvent(session, failing).blockingGet()));
                    appends.add(pool.submit(() -> {
                        if (afterFailure) {
                            store.refused.await(5, TimeUnit.SECONDS);
                        }
                        return service.appendEvent(session, other).blockingGet();
                    }));
                    assertThatThrownBy(() -> appends.get(0).get(10, TimeUnit.SECONDS))
                            .hasCauseInstanceOf(SessionException.class);
                    appends.get(1).get(10, TimeUnit.SECONDS);
                    assertThat(ids(session)).as("round %d", round).endsWith(other.id()).doesNotContain(failing.id());
                    assertAgreesWithAFreshRead(service, session);
                    service.appendEvent(session, failing).blockingGet(); // the caller's retry: stored after the other
                    assertThat(ids(session)).as("round %d", round).endsWith(other.id(), failing.id());
                    assertAgreesWithAFreshRead(service, session);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
