package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.adk.sessions.Session;
import com.google.adk.sessions.SessionException;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.testing.ForwardingConversationStore;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Review: another instance deletes the session between appendEvent's check and its append. The
 * append used to start a new life of the conversation without the session's mark, and only a
 * clean-up delete (which an outage can fail) removed it; the id was then left unusable: getSession
 * and listSessions said there was no such session, yet createSession said it already existed. The
 * append now requires the conversation to exist, so it is refused and nothing is left; the store's
 * deletes fail while armed, to show that no clean-up is needed.
 */
class AppendRacingDeleteLeavesUnusableSessionIdTest {
    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    /** Deletes the session right before the adapter's append of the event; fails the adapter's own deletes while armed. */
    static final class RacingStore extends ForwardingConversationStore {
        final AtomicBoolean deleteAfterCheck = new AtomicBoolean();
        final AtomicBoolean failDeletes = new AtomicBoolean();

        RacingStore(ConversationStore delegate) {
            super(delegate);
        }

        @Override
        public AppendResult appendMessages(AppendRequest request) {
            if (request.sessionId().startsWith("adk/") && deleteAfterCheck.getAndSet(false)) {
                super.deleteConversation(request.sessionId()); // another instance's deleteSession
                failDeletes.set(true);
            }
            return super.appendMessages(request);
        }

        @Override
        public long deleteConversation(String sessionId) {
            if (failDeletes.getAndSet(false)) {
                throw new ConversationStoreUnavailableException("injected: outage", null);
            }
            return super.deleteConversation(sessionId);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void appendRacingDelete_withAFailedCleanUp_leavesTheIdFreeForANewSession(Stores.Kind kind) {
        try (ConversationStore base = kind.open()) {
            RacingStore store = new RacingStore(base);
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "user", Map.of(), "s").blockingGet();

            store.deleteAfterCheck.set(true);
            assertThatThrownBy(() -> service.appendEvent(session, Events.user("hello?")).blockingGet())
                    .isInstanceOf(SessionException.class);

            assertThat(service.getSession("app", "user", "s", Optional.empty()).blockingGet()).isNull();
            assertThat(service.listSessions("app", "user").blockingGet().sessionIds()).isEmpty();
            assertThat(service.createSession("app", "user", Map.of("again", true), "s").blockingGet().state())
                    .containsEntry("again", true);
        }
    }
}
