package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Appends that require their conversation to exist ({@link AppendRequest#requireExisting()}): mixed
 * into the contract suite, so it runs on the in-memory store, the embedded server, tiny heads and
 * real servers.
 */
interface RequireExistingContract {

    /** The store under test, fresh for each test. */
    ConversationStore store();

    private static AppendRequest existing(String sessionId, String appendId, String text) {
        return AppendRequest.builder(sessionId, "en").appendId(appendId).requireExisting().messages(Message.user(text))
                .build();
    }

    @Test
    default void requireExisting_onASessionNeverWritten_isRefusedAndCreatesNothing() {
        assertThatThrownBy(() -> store().appendMessages(existing("r1", "a", "hello?")))
                .isInstanceOfSatisfying(ConversationNotFoundException.class, e -> {
                    assertThat(e.sessionId()).isEqualTo("r1");
                    assertThat(e.isRetryable()).isFalse();
                })
                .hasMessageContaining("r1").hasMessageContaining("nothing was written");
        assertThat(store().findConversation("r1")).isEmpty();
        assertThat(store().readMessages("r1", 0, 10)).isEmpty();
    }

    @Test
    default void requireExisting_onAnExistingSession_appends_andARetryIsADuplicate() {
        store().appendMessages(AppendRequest.of("r2", "en", List.of(Message.user("one"))));
        AppendResult first = store().appendMessages(existing("r2", "b", "two"));
        AppendResult again = store().appendMessages(existing("r2", "b", "two"));
        assertThat(first.firstSequence()).isEqualTo(1);
        assertThat(first.conversationCreated()).isFalse();
        assertThat(again.duplicate()).isTrue();
        assertThat(again.firstSequence()).isEqualTo(1);
        assertThat(store().readMessages("r2", 0, 10)).extracting(m -> m.message().text()).containsExactly("one", "two");
    }

    @Test
    default void requireExisting_afterADelete_isRefused_neverStartsANewLife_andAnErasedRetryStaysErased() {
        store().appendMessages(AppendRequest.of("r3", "en", List.of(Message.user("one"))));
        store().appendMessages(existing("r3", "applied-before", "two"));
        store().deleteConversation("r3");

        assertThatThrownBy(() -> store().appendMessages(existing("r3", "after", "three")))
                .isInstanceOf(ConversationNotFoundException.class);
        assertThatThrownBy(() -> store().appendMessages(existing("r3", "applied-before", "two")))
                .isInstanceOf(AppendErasedException.class);
        assertThat(store().findConversation("r3")).isEmpty();
        // an append without the requirement still starts a new life
        assertThat(store().appendMessages(AppendRequest.of("r3", "en", List.of(Message.user("anew"))))
                .conversationCreated()).isTrue();
        assertThat(store().appendMessages(existing("r3", "after", "three")).firstSequence()).isEqualTo(1);
    }

    @Test
    default void requireExisting_onASessionHoldingOnlyALease_isRefused_andTheLeaseStays() {
        assertThat(store().tryAcquireLease("r4", "en", "worker-1", Duration.ofMinutes(1))).isTrue();
        assertThatThrownBy(() -> store().appendMessages(existing("r4", "a", "hello?")))
                .isInstanceOf(ConversationNotFoundException.class);
        assertThat(store().findConversation("r4")).isEmpty();
        assertThat(store().tryAcquireLease("r4", "en", "worker-2", Duration.ofMinutes(1))).isFalse();
    }

    @Test
    default void requireExisting_onAForkMadeAtSequenceZero_appends() {
        store().appendMessages(AppendRequest.of("r5", "en", List.of(Message.user("one"))));
        store().fork("r5", 0, "r5-fork");
        assertThat(store().appendMessages(existing("r5-fork", "a", "first of the fork")).firstSequence()).isZero();
        assertThat(store().readMessages("r5-fork", 0, 10)).extracting(m -> m.message().text())
                .containsExactly("first of the fork");
    }

    @Test
    default void requireExisting_withAnExpectedSequenceOfZero_isABuildError() {
        assertThatThrownBy(() -> AppendRequest.builder("r6", "en").requireExisting().expectedSequence(0)
                .messages(Message.user("x")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("requireExisting").hasMessageContaining("expectedSequence");
    }

    @Test
    default void requireExisting_racingAnErasure_eitherLandsBeforeItOrIsRefused_neverLeavesTheSession()
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 30; round++) {
                String id = "r7-" + round;
                store().appendMessages(AppendRequest.of(id, "en", List.of(Message.user("one"))));
                CountDownLatch go = new CountDownLatch(1);
                Future<?> delete = pool.submit(() -> {
                    go.await();
                    return store().deleteConversation(id);
                });
                Future<Boolean> append = pool.submit(() -> {
                    go.await();
                    try {
                        store().appendMessages(existing(id, "racing", "two"));
                        return true;
                    } catch (ConversationNotFoundException refused) {
                        return false;
                    }
                });
                go.countDown();
                delete.get(30, TimeUnit.SECONDS);
                append.get(30, TimeUnit.SECONDS);
                // landed before the erasure (and erased with it) or refused: the session is gone either way
                assertThat(store().findConversation(id)).as("round %d", round).isEmpty();
                assertThat(store().readMessages(id, 0, 10)).as("round %d", round).isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
