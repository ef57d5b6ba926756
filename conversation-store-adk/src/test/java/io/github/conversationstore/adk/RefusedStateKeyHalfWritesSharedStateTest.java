package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.adk.events.Event;
import com.google.adk.sessions.Session;
import io.github.conversationstore.ConversationStore;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Review: a state key that passes the adapter's own checks but that the store refuses (here one
 * holding half of a UTF-16 surrogate pair) was found only when the later request was built, after
 * the {@code user:}/{@code app:} part of the delta (or, for createSession, the session itself) had
 * been written. Every request is now built, and so checked, before the first write.
 */
class RefusedStateKeyHalfWritesSharedStateTest {
    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    private static final String HALF_PAIR = "bad\uD800key";

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void appendEvent_withASessionKeyTheStoreRefuses_writesNoUserOrAppState(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "user", Map.of(), "s").blockingGet();
            Map<String, Object> delta = new LinkedHashMap<>();
            delta.put("user:seen", true);
            delta.put("app:hits", 1);
            delta.put(HALF_PAIR, 1);
            Event event = Events.withDelta(delta);

            assertThatThrownBy(() -> service.appendEvent(session, event).blockingGet())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("surrogate");

            assertThat(store.findConversation("adk-user/app/user")).isEmpty();
            assertThat(store.findConversation("adk-app/app")).isEmpty();
            assertThat(service.getSession("app", "user", "s", Optional.empty()).blockingGet().events()).isEmpty();
            assertThat(session.events()).isEmpty();
            assertThat(session.state()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void appendEvent_withAnAppKeyTheStoreRefuses_writesNoUserState(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "user", Map.of(), "s").blockingGet();
            Map<String, Object> delta = new LinkedHashMap<>();
            delta.put("user:seen", true);
            delta.put("app:" + HALF_PAIR, 1);

            assertThatThrownBy(() -> service.appendEvent(session, Events.withDelta(delta)).blockingGet())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("surrogate");

            assertThat(store.findConversation("adk-user/app/user")).isEmpty();
            assertThat(store.findConversation("adk-app/app")).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void createSession_withAUserKeyTheStoreRefuses_createsNoSession(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("topic", "weather");
            state.put("user:" + HALF_PAIR, 1);

            assertThatThrownBy(() -> service.createSession("app", "user", state, "s").blockingGet())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("surrogate");

            assertThat(store.findConversation("adk/app/user/s")).isEmpty();
            // the id stays free: a corrected create succeeds
            assertThat(service.createSession("app", "user", Map.of("topic", "weather"), "s").blockingGet().state())
                    .containsEntry("topic", "weather");
        }
    }
}
