package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.adk.events.Event;
import com.google.adk.events.EventActions;
import com.google.adk.sessions.GetSessionConfig;
import com.google.adk.sessions.Session;
import com.google.adk.sessions.SessionException;
import com.google.adk.sessions.SessionNotFoundException;
import com.google.adk.sessions.State;
import com.google.genai.types.Content;
import com.google.genai.types.Part;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Owner;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cases of ADK's own session service tests (its in-memory service's: lifecycle, state with
 * {@code app:}, {@code user:} and {@code temp:} keys, removals, timestamps, filters, duplicate ids),
 * written again against this service on every store, with the differences named in each test.
 */
@SuppressWarnings("deprecation") // ADK's own Maybe#blockingGet is fine in tests
class SessionServiceTest {
    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    private static ConversationStoreSessionService service(ConversationStore store) {
        return ConversationStoreSessionService.builder(store).build();
    }

    private static Session get(ConversationStoreSessionService service, Session session) {
        return service.getSession(session.appName(), session.userId(), session.id(), Optional.empty()).blockingGet();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void lifecycle_noSession(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);

            assertThat(service.getSession("app-name", "user-id", "session-id", Optional.empty()).blockingGet()).isNull();
            assertThat(service.listSessions("app-name", "user-id").blockingGet().sessions()).isEmpty();
            assertThat(service.listEvents("app-name", "user-id", "session-id").blockingGet().events()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void lifecycle_createAndGetSession(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);

            Session session = service.createSession("app-name", "user-id").blockingGet();
            Session read = get(service, session);

            assertThat(session.id()).isNotBlank();
            assertThat(session.appName()).isEqualTo("app-name");
            assertThat(session.userId()).isEqualTo("user-id");
            assertThat(session.state()).isEmpty();
            assertThat(read.id()).isEqualTo(session.id());
            assertThat(read.events()).isEmpty();
            assertThat(read.lastUpdateTime()).isNotNull();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void createSession_initialState_splitsSessionUserAndAppState_andDropsTemp(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);

            Session created = service.createSession("app", "user",
                    Map.of("topic", "weather", "user:units", "metric", "app:version", 3, "temp:scratch", "x"), "s1")
                    .blockingGet();
            Session other = service.createSession("app", "user", Map.of(), "s2").blockingGet();

            assertThat(created.state()).containsOnly(Map.entry("topic", "weather"), Map.entry("user:units", "metric"),
                    Map.entry("app:version", 3));
            // the user's and the app's state are shared by the user's other session
            assertThat(other.state()).containsOnly(Map.entry("user:units", "metric"), Map.entry("app:version", 3));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void lifecycle_listSessions_withStateAndWithoutEvents(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);
            Session session = service.createSession("app-name", "user-id", new HashMap<>(), "session-1").blockingGet();
            service.appendEvent(session, Events.withDelta(Map.of("sessionKey", "sessionValue", "app:appKey", "appValue",
                    "user:userKey", "userValue", "temp:tempKey", "tempValue"))).blockingGet();
            service.createSession("app-name", "other-user", new HashMap<>(), "session-2").blockingGet();

            List<Session> listed = service.listSessions("app-name", "user-id").blockingGet().sessions();

            assertThat(listed).extracting(Session::id).containsExactly("session-1");
            assertThat(listed.get(0).events()).isEmpty();
            assertThat(listed.get(0).state()).containsOnly(Map.entry("sessionKey", "sessionValue"),
                    Map.entry("app:appKey", "appValue"), Map.entry("user:userKey", "userValue"));
            // from the store's owner listing
            assertThat(store.listConversations(Owner.of("app-name", "user-id"), null, 10))
                    .extracting(ConversationHeader::sessionId).contains("adk/app-name/user-id/session-1");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void lifecycle_deleteSession_erasesOnlyThatSession(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);
            Session first = service.createSession("app-name", "user-id").blockingGet();
            Session second = service.createSession("app-name", "user-id").blockingGet();
            service.appendEvent(first, Events.user("hello")).blockingGet();

            service.deleteSession(first.appName(), first.userId(), first.id()).blockingAwait();
            service.deleteSession(first.appName(), first.userId(), first.id()).blockingAwait(); // a retry: nothing to do

            assertThat(get(service, first)).isNull();
            assertThat(get(service, second)).isNotNull();
            assertThat(service.listSessions("app-name", "user-id").blockingGet().sessionIds()).containsExactly(second.id());
            assertThat(store.findConversation("adk/app-name/user-id/" + first.id())).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void appendEvent_updatesSessionState_tempOnlyInTheGivenSession(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);
            Session session = service.createSession("app", "user", new HashMap<>(), "session1").blockingGet();

            service.appendEvent(session, Events.withDelta(Map.of("sessionKey", "sessionValue", "app:appKey", "appValue",
                    "user:userKey", "userValue", "temp:tempKey", "tempValue"))).blockingGet();

            assertThat(session.state()).containsEntry("sessionKey", "sessionValue").containsEntry("app:appKey", "appValue")
                    .containsEntry("user:userKey", "userValue").containsEntry("temp:tempKey", "tempValue");
            // differs from ADK 1.8.0's in-memory service, which keeps temp: keys in the stored session:
            // temp: state is never stored, as ADK defines it
            assertThat(get(service, session).state()).containsOnly(Map.entry("sessionKey", "sessionValue"),
                    Map.entry("app:appKey", "appValue"), Map.entry("user:userKey", "userValue"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void appendEvent_removesState(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);
            Session session = service.createSession("app", "user", new HashMap<>(), "session1").blockingGet();
            service.appendEvent(session, Events.withDelta(Map.of("sessionKey", "v", "app:appKey", "v", "user:userKey", "v",
                    "kept", 1))).blockingGet();
            assertThat(get(service, session).state()).containsKeys("sessionKey", "app:appKey", "user:userKey", "kept");

            Map<String, Object> removals = new HashMap<>();
            for (String key : List.of("sessionKey", "app:appKey", "user:userKey", "temp:tempKey")) {
                removals.put(key, State.REMOVED);
            }
            service.appendEvent(session, Events.withDelta(removals)).blockingGet();

            assertThat(get(service, session).state()).containsOnly(Map.entry("kept", 1));
            assertThat(session.state()).containsOnly(Map.entry("kept", 1));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void appendEvent_lastUpdateTimeIsTheEventsTimestamp_withFractionalSeconds(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);
            Session session = service.createSession("app", "user", new HashMap<>(), "session1").blockingGet();

            service.appendEvent(session, Events.at(5500)).blockingGet();

            assertThat(session.lastUpdateTime()).isEqualTo(Instant.ofEpochSecond(5, 500_000_000L));
            assertThat(get(service, session).lastUpdateTime()).isEqualTo(Instant.ofEpochSecond(5, 500_000_000L));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void sequentialAgents_shareTempState_inTheInvocationsSession(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);
            Session session = service.createSession("app", "user", new HashMap<>(), "session1").blockingGet();

            service.appendEvent(session, Events.withDelta(Map.of("temp:agent1_output", "data"))).blockingGet();
            assertThat(session.state()).containsEntry("temp:agent1_output", "data");
            service.appendEvent(session, Events.withDelta(Map.of("temp:agent2_output", "processed_data",
                    "temp:agent1_output", State.REMOVED))).blockingGet();

            assertThat(session.state()).containsOnly(Map.entry("temp:agent2_output", "processed_data"));
            // not stored (ADK 1.8.0's in-memory service would show temp:agent2_output here)
            assertThat(get(service, session).state()).isEmpty();
            assertThat(get(service, session).events()).hasSize(2);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void getSession_numRecentEventsAndAfterTimestamp_applyBothFilters(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);
            Session session = service.createSession("app", "user").blockingGet();
            for (long ts : new long[] {100, 200, 300, 400, 500}) {
                service.appendEvent(session, Events.at(ts)).blockingGet();
            }

            Session recent = service.getSession("app", "user", session.id(), Optional.of(GetSessionConfig.builder()
                    .numRecentEvents(4).afterTimestamp(Instant.ofEpochMilli(300)).build())).blockingGet();
            Session two = service.getSession("app", "user", session.id(),
                    Optional.of(GetSessionConfig.builder().numRecentEvents(2).build())).blockingGet();
            Session none = service.getSession("app", "user", session.id(),
                    Optional.of(GetSessionConfig.builder().numRecentEvents(0).build())).blockingGet();
            Session many = service.getSession("app", "user", session.id(),
                    Optional.of(GetSessionConfig.builder().numRecentEvents(50).build())).blockingGet();

            assertThat(recent.events()).extracting(Event::timestamp).containsExactly(300L, 400L, 500L);
            assertThat(two.events()).extracting(Event::timestamp).containsExactly(400L, 500L);
            assertThat(none.events()).isEmpty();
            assertThat(many.events()).extracting(Event::timestamp).containsExactly(100L, 200L, 300L, 400L, 500L);
            assertThatThrownBy(() -> service.getSession("app", "user", session.id(),
                    Optional.of(GetSessionConfig.builder().numRecentEvents(-1).build())))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("numRecentEvents");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void createSession_duplicateSessionId_isRefused_andKeepsTheExistingSession(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);
            Session session = service.createSession("app", "user", Map.of("sessionKey", "sessionValue"), "session1")
                    .blockingGet();
            service.appendEvent(session, Events.at(100)).blockingGet();

            // ADK 1.8.0's in-memory service replaces the session; later ADK versions can refuse, as here
            assertThatThrownBy(() -> service.createSession("app", "user", new HashMap<>(), "session1").blockingGet())
                    .isInstanceOf(SessionException.class).hasMessageContaining("already exists");

            Session read = service.getSession("app", "user", "session1", Optional.empty()).blockingGet();
            assertThat(read.events()).extracting(Event::timestamp).containsExactly(100L);
            assertThat(read.state()).containsEntry("sessionKey", "sessionValue");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void createSession_distinctIds_afterDelete_andOtherUsers(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);
            Session first = service.createSession("app", "user-a", new HashMap<>(), "session1").blockingGet();
            service.createSession("app", "user-a", new HashMap<>(), "session2").blockingGet();
            service.appendEvent(first, Events.user("old")).blockingGet();
            assertThat(service.listSessions("app", "user-a").blockingGet().sessions()).hasSize(2);

            // the same id for another user is another session (as in ADK)
            Session other = service.createSession("app", "user-b", new HashMap<>(), "session1").blockingGet();
            assertThat(other.userId()).isEqualTo("user-b");
            assertThat(get(service, other).events()).isEmpty();

            service.deleteSession("app", "user-a", "session1").blockingAwait();
            Session recreated = service.createSession("app", "user-a", new HashMap<>(), "session1").blockingGet();

            assertThat(recreated.id()).isEqualTo("session1");
            assertThat(get(service, recreated).events()).isEmpty();
            assertThat(get(service, first).events()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void events_readBackEqual_text_functionCalls_responses_andDeltas(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);
            Session session = service.createSession("app", "user", Map.of(), "s").blockingGet();
            Map<String, Object> delta = new HashMap<>();
            delta.put("city", "Lima");
            delta.put("gone", State.REMOVED);
            delta.put("nested", Map.of("a", List.of(1, 2), "b.c", true));
            Event withThought = Event.builder().id(Event.generateEventId()).author("weather_agent")
                    .content(Content.builder().role("model").parts(Part.builder().text("thinking").thought(true).build(),
                            Part.fromText("Let me check.")).build())
                    .actions(EventActions.builder().stateDelta(new ConcurrentHashMap<>(delta)).build()).build();
            List<Event> written = List.of(Events.user("What is the weather in Lima?"), withThought,
                    Events.call("call-1", "Lima"), Events.response("call-1", "sunny"), Events.model("Sunny, 21 °C."),
                    Event.builder().id(Event.generateEventId()).author("weather_agent").build());
            for (Event e : written) {
                service.appendEvent(session, e).blockingGet();
            }

            assertThat(get(service, session).events()).containsExactlyElementsOf(written);
            assertThat(service.listEvents("app", "user", "s").blockingGet().events()).containsExactlyElementsOf(written);
            // the store's own reads see text, a call and its result, in one window
            List<StoredMessage> window = store.promptWindow("adk/app/user/s", 20);
            assertThat(window).extracting(StoredMessage::role).containsExactly(Role.SYSTEM, Role.USER, Role.ASSISTANT,
                    Role.ASSISTANT, Role.TOOL, Role.ASSISTANT, Role.ASSISTANT);
            assertThat(window.get(3).message().toolCalls()).singleElement()
                    .satisfies(c -> assertThat(c.callId()).isEqualTo("call-1"));
            assertThat(window.get(4).message().toolResults()).singleElement()
                    .satisfies(r -> assertThat(r.content()).contains("sunny"));
            assertThat(window.get(1).text()).isEqualTo("What is the weather in Lima?");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void appendEvent_retriedWithTheSameEvent_isStoredOnce(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);
            Session session = service.createSession("app", "user", Map.of(), "s").blockingGet();
            Event event = Events.withDelta(Map.of("user:visits", 1, "step", "one"));

            service.appendEvent(session, event).blockingGet();
            service.appendEvent(session, event).blockingGet(); // a retry after a timeout
            Session reloaded = get(service, session);
            service.appendEvent(reloaded, event).blockingGet(); // a retry from another instance's copy

            assertThat(session.events()).containsExactly(event);
            assertThat(reloaded.events()).containsExactly(event);
            assertThat(get(service, session).events()).containsExactly(event);
            assertThat(store.findConversation("adk-user/app/user").orElseThrow().messageCount()).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void partialEvents_areNotStored(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = service(store);
            Session session = service.createSession("app", "user", Map.of(), "s").blockingGet();
            Event partial = Events.model("Sun").toBuilder().partial(true).build();

            assertThat(service.appendEvent(session, partial).blockingGet()).isSameAs(partial);
            assertThat(session.events()).isEmpty();
            assertThat(get(service, session).events()).isEmpty();
        }
    }
}
