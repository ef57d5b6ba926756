package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.adk.events.Event;
import com.google.adk.events.EventActions;
import com.google.adk.sessions.Session;
import com.google.adk.sessions.SessionException;
import com.google.adk.sessions.SessionNotFoundException;
import com.google.genai.types.Content;
import com.google.genai.types.FunctionResponse;
import com.google.genai.types.Part;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.testing.ForwardingConversationStore;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input gets a clear error and writes nothing; a failed write leaves the caller's session as it was. */
class BadInputAndFailuresTest {
    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    private static long stored(ConversationStore store, String storeId) {
        return store.findConversation(storeId).map(h -> h.messageCount()).orElse(0L);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void appendEvent_toAnUnknownOrDeletedSession_isRefused_andCreatesNothing(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session never = Session.builder("ghost").appName("app").userId("user").build();
            Session deleted = service.createSession("app", "user", Map.of(), "gone").blockingGet();
            service.deleteSession("app", "user", "gone").blockingAwait();

            assertThatThrownBy(() -> service.appendEvent(never, Events.withDelta(Map.of("user:x", 1))).blockingGet())
                    .isInstanceOf(SessionNotFoundException.class).hasMessageContaining("ghost");
            assertThatThrownBy(() -> service.appendEvent(deleted, Events.user("hello?")).blockingGet())
                    .isInstanceOf(SessionNotFoundException.class);

            assertThat(store.findConversation("adk/app/user/ghost")).isEmpty();
            assertThat(store.findConversation("adk/app/user/gone")).isEmpty();
            assertThat(store.findConversation("adk-user/app/user")).isEmpty();
            assertThat(never.events()).isEmpty();
            assertThat(deleted.events()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    @SuppressWarnings({"unchecked", "rawtypes"})
    void eventsThatCannotBeStored_areRefusedBeforeAnythingIsWritten(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "user", Map.of(), "s").blockingGet();

            Event noId = Event.builder().author("user").content(Content.fromParts(Part.fromText("hi")))
                    .actions(EventActions.builder().stateDelta(Map.of("user:x", 1)).build()).build();
            assertThatThrownBy(() -> service.appendEvent(session, noId)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("event.id");

            Event longId = Events.user("hi").toBuilder().id("e".repeat(200)).build();
            assertThatThrownBy(() -> service.appendEvent(session, longId)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("event.id");

            Event nonStringKey = Events.withDelta(Map.of("user:x", 1));
            ((Map) nonStringKey.actions().stateDelta()).put(42, "answer");
            assertThatThrownBy(() -> service.appendEvent(session, nonStringKey))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keys must be strings");

            Event notJson = Events.withDelta(Map.of("user:x", 1, "handle", new Object()));
            assertThatThrownBy(() -> service.appendEvent(session, notJson))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'handle'");

            Event longText = Events.user("x".repeat(70 * 1024)).toBuilder()
                    .actions(EventActions.builder().stateDelta(Map.of("user:x", 1)).build()).build();
            assertThatThrownBy(() -> service.appendEvent(session, longText))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxTextBytes");

            Event hugeResult = Event.builder().id(Event.generateEventId()).author("agent")
                    .content(Content.builder().role("user").parts(Part.builder().functionResponse(FunctionResponse.builder()
                            .id("c1").name("dump").response(Map.of("rows", "y".repeat(300 * 1024))).build()).build()).build())
                    .actions(EventActions.builder().stateDelta(Map.of("user:x", 1)).build()).build();
            assertThatThrownBy(() -> service.appendEvent(session, hugeResult))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxEventBytes");

            assertThat(stored(store, "adk/app/user/s")).isEqualTo(1); // the creation mark only
            assertThat(store.findConversation("adk-user/app/user")).isEmpty();
            assertThat(session.events()).isEmpty();
            assertThat(session.state()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void badKeys_nullsAndLengths_areNamed(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();

            assertThatThrownBy(() -> service.getSession(null, "u", "s", Optional.empty()))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("appName");
            assertThatThrownBy(() -> service.createSession("app", "u".repeat(300)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("userId");
            assertThatThrownBy(() -> service.createSession("app", " ")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("userId");
            Map<String, Object> state = new HashMap<>();
            state.put("when", new Object());
            assertThatThrownBy(() -> service.createSession("app", "u", state, "s"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'when'");
            assertThat(store.findConversation("adk/app/u/s")).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void keysWithSlashes_doNotMeet(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session a = service.createSession("my/app", "user", Map.of("who", "a"), "s").blockingGet();
            Session b = service.createSession("my", "app/user", Map.of("who", "b"), "s").blockingGet();

            assertThat(service.getSession("my/app", "user", "s", Optional.empty()).blockingGet().state())
                    .containsEntry("who", "a");
            assertThat(service.getSession("my", "app/user", "s", Optional.empty()).blockingGet().state())
                    .containsEntry("who", "b");
            assertThat(service.listSessions("my/app", "user").blockingGet().sessionIds()).containsExactly(a.id());
            assertThat(service.listSessions("my", "app/user").blockingGet().sessionIds()).containsExactly(b.id());
        }
    }

    /** Fails the next appends of sessions (not of state conversations): before the write, or after it (a lost reply). */
    static final class FailingStore extends ForwardingConversationStore {
        final AtomicInteger failBefore = new AtomicInteger();
        final AtomicInteger loseReply = new AtomicInteger();

        FailingStore(ConversationStore delegate) {
            super(delegate);
        }

        @Override
        public AppendResult appendMessages(AppendRequest request) {
            boolean session = request.sessionId().startsWith("adk/");
            if (session && failBefore.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new ConversationStoreUnavailableException("injected: no answer", null);
            }
            AppendResult result = super.appendMessages(request);
            if (session && loseReply.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new ConversationStoreUnavailableException("injected: reply lost", null);
            }
            return result;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aFailedWrite_leavesTheSessionAsItWas_andTheRetryStoresTheEventOnce(Stores.Kind kind) {
        try (ConversationStore base = kind.open()) {
            FailingStore store = new FailingStore(base);
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "user", Map.of(), "s").blockingGet();
            ConcurrentMap<String, Object> delta = new ConcurrentHashMap<>(Map.of("step", 1, "user:seen", true));
            Event event = Events.withDelta(delta);

            store.failBefore.set(1);
            assertThatThrownBy(() -> service.appendEvent(session, event).blockingGet())
                    .isInstanceOf(SessionException.class).hasCauseInstanceOf(ConversationStoreUnavailableException.class);
            assertThat(session.events()).isEmpty();
            assertThat(session.state()).isEmpty();

            store.loseReply.set(1);
            assertThatThrownBy(() -> service.appendEvent(session, event).blockingGet())
                    .isInstanceOf(SessionException.class);
            assertThat(session.events()).isEmpty();
            assertThat(session.state()).isEmpty();

            service.appendEvent(session, event).blockingGet(); // the retry: a duplicate, now acknowledged

            assertThat(session.events()).containsExactly(event);
            assertThat(session.state()).containsOnly(Map.entry("step", 1), Map.entry("user:seen", true));
            Session read = service.getSession("app", "user", "s", Optional.empty()).blockingGet();
            assertThat(read.events()).containsExactly(event);
            assertThat(read.state()).containsOnly(Map.entry("step", 1), Map.entry("user:seen", true));
            assertThat(stored(base, "adk-user/app/user")).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void theSameEventIdWithOtherContent_isAnError_notASilentDrop(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "user", Map.of(), "s").blockingGet();
            Event first = Events.user("first");
            service.appendEvent(session, first).blockingGet();
            Event other = Events.user("other").toBuilder().id(first.id()).timestamp(first.timestamp()).build();

            assertThatThrownBy(() -> service.appendEvent(session, other).blockingGet())
                    .isInstanceOf(SessionException.class).hasMessageContaining(first.id());
            assertThat(session.events()).containsExactly(first);
        }
    }
}
