package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.adk.events.Event;
import com.google.adk.sessions.Session;
import com.google.adk.sessions.SessionException;
import io.github.conversationstore.ConversationStore;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Review (attack that held): an event whose reply was lost is retried only after a later event set
 * the same keys; the retry is a duplicate and does not put the older values back, in the session's
 * state nor in the user's.
 */
class LateRetryRollsStateBackTest {
    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aRetryAfterALaterEvent_isADuplicate_andKeepsTheLaterValues(Stores.Kind kind) {
        try (ConversationStore base = kind.open()) {
            BadInputAndFailuresTest.FailingStore store = new BadInputAndFailuresTest.FailingStore(base);
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "user", Map.of(), "s").blockingGet();
            Event first = Events.withDelta(Map.of("step", 1, "user:level", "A1"));
            Event second = Events.withDelta(Map.of("step", 2, "user:level", "B2"));

            store.loseReply.set(1);
            assertThatThrownBy(() -> service.appendEvent(session, first).blockingGet()).isInstanceOf(SessionException.class);
            Session other = service.getSession("app", "user", "s", Optional.empty()).blockingGet();
            service.appendEvent(other, second).blockingGet();
            service.appendEvent(other, first).blockingGet(); // the late retry, from the fresher copy

            Session read = service.getSession("app", "user", "s", Optional.empty()).blockingGet();
            assertThat(read.events()).extracting(Event::id).containsExactly(first.id(), second.id());
            assertThat(read.state()).containsEntry("step", 2).containsEntry("user:level", "B2");
            assertThat(other.events()).extracting(Event::id).containsExactly(first.id(), second.id());
        }
    }
}
