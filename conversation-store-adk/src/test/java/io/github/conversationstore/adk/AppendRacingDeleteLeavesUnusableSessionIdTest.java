package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.adk.sessions.Session;
import com.google.adk.sessions.SessionException;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.testing.ForwardingConversationStore;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Review: another instance deletes the session between appendEvent's check and its append, so the
 * append starts a new life of the conversation without the session's mark; the adapter's
 * clean-up delete then fails (an outage). The id is left unusable: getSession and listSessions
 * say there is no such session, yet createSession says it already exists.
 */
class AppendRacingDeleteLeavesUnusableSessionIdTest {
    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    /** Deletes the session right after the adapter's check; fails the adapter's own deletes while armed. */
    static final class RacingStore extends ForwardingConversationStore {
        final AtomicBoolean deleteAfterCheck = new AtomicBoolean();
        final AtomicBoolean failDeletes = new AtomicBoolean();

        RacingStore(ConversationStore delegate) {
            super(delegate);
        }

        @Override
        public Optional<ConversationHeader> findConversation(String sessionId) {
            Optional<ConversationHeader> found = super.findConversation(sessionId);
            if (sessionId.startsWith("adk/") && deleteAfterCheck.getAndSet(false)) {
                super.deleteConversation(sessionId); // another instance's deleteSession
                failDeletes.set(true);
            }
            return found;
        }

        @Override
        public long deleteConversation(String sessionId) {
            if (failDeletes.getAndSet(false)) {
                throw new ConversationStoreUnavailableException("injected: outage", null);
            }
            return super.deleteConversation(sessionId);
        }
    }

    @Disabled("core defect: an append cannot be made conditional on the conversation existing (or on a header"
            + " attribute), so an event racing an erasure starts a new life without the session mark, and only a"
            + " separate delete, which can fail, removes it")
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
