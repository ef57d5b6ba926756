package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Appends that expect a sequence (optimistic concurrency): mixed into the contract suite, so it runs
 * on the in-memory store, the embedded server, tiny heads (archives) and real servers.
 */
interface ExpectedSequenceContract {

    /** The store under test, fresh for each test. */
    ConversationStore store();

    private static AppendRequest expecting(String sessionId, String appendId, long expected, String... texts) {
        AppendRequest.Builder b = AppendRequest.builder(sessionId, "en").appendId(appendId).expectedSequence(expected);
        for (String text : texts) {
            b.messages(Message.user(text));
        }
        return b.build();
    }

    private long count(String sessionId) {
        return store().findConversation(sessionId).map(ConversationHeader::messageCount).orElse(0L);
    }

    @Test
    default void expectedSequence_matching_appendsThere_andAMismatchIsRefusedWithTheActualNext() {
        AppendResult first = store().appendMessages(expecting("x1", "a", 0, "one", "two"));
        assertThat(first.firstSequence()).isZero();
        AppendResult second = store().appendMessages(expecting("x1", "b", 2, "three"));
        assertThat(second.firstSequence()).isEqualTo(2);

        assertThatThrownBy(() -> store().appendMessages(expecting("x1", "c", 2, "stale")))
                .isInstanceOfSatisfying(SequenceMismatchException.class, e -> {
                    assertThat(e.expectedSequence()).isEqualTo(2);
                    assertThat(e.actualNextSequence()).isEqualTo(3);
                    assertThat(e.appendId()).isEqualTo("c");
                    assertThat(e.isRetryable()).isFalse();
                })
                .hasMessageContaining("x1").hasMessageContaining("expected");
        assertThatThrownBy(() -> store().appendMessages(expecting("x1", "d", 7, "ahead")))
                .isInstanceOfSatisfying(SequenceMismatchException.class,
                        e -> assertThat(e.actualNextSequence()).isEqualTo(3));
        assertThat(count("x1")).isEqualTo(3);
        assertThat(store().readMessages("x1", 0, 10)).extracting(m -> m.message().text())
                .containsExactly("one", "two", "three");
    }

    @Test
    default void expectedSequence_onANewSession_isZero_anythingElseIsRefusedAndCreatesNothing() {
        assertThatThrownBy(() -> store().appendMessages(expecting("x2", "a", 1, "no such session yet")))
                .isInstanceOfSatisfying(SequenceMismatchException.class,
                        e -> assertThat(e.actualNextSequence()).isZero());
        assertThat(store().findConversation("x2")).isEmpty();

        store().appendMessages(expecting("x2", "b", 0, "first"));
        assertThat(count("x2")).isEqualTo(1);
    }

    @Test
    default void retryOfAnAppliedAppendId_isADuplicate_notAMismatch() {
        AppendRequest request = expecting("x3", "a", 0, "hello");
        store().appendMessages(request);
        store().appendMessages(expecting("x3", "b", 1, "moved on"));

        AppendResult again = store().appendMessages(request); // its expectation is stale now
        assertThat(again.duplicate()).isTrue();
        assertThat(again.firstSequence()).isZero();
        assertThat(count("x3")).isEqualTo(2);
    }

    @Test
    default void afterADelete_theSessionStartsAgainAtZero() {
        store().appendMessages(expecting("x4", "a", 0, "one", "two"));
        store().deleteConversation("x4");

        assertThatThrownBy(() -> store().appendMessages(expecting("x4", "b", 2, "as if nothing was erased")))
                .isInstanceOfSatisfying(SequenceMismatchException.class,
                        e -> assertThat(e.actualNextSequence()).isZero());
        assertThat(store().findConversation("x4")).isEmpty();
        AppendResult revived = store().appendMessages(expecting("x4", "c", 0, "new life"));
        assertThat(revived.firstSequence()).isZero();
        assertThat(count("x4")).isEqualTo(1);
    }

    @Test
    default void expectedSequence_holdsAcrossArchiveMoves() {
        long next = 0;
        for (int i = 0; i < 40; i++) {
            store().appendMessages(expecting("x5", "a" + i, next, "m" + i + "-1", "m" + i + "-2"));
            next += 2;
        }
        assertThatThrownBy(() -> store().appendMessages(expecting("x5", "late", 78, "late")))
                .isInstanceOfSatisfying(SequenceMismatchException.class,
                        e -> assertThat(e.actualNextSequence()).isEqualTo(80));
        assertThat(count("x5")).isEqualTo(80);
    }

    @Test
    default void racingWritersExpectingTheSameSequence_exactlyOneWinsEachSlot() throws Exception {
        int writers = 4;
        int rounds = 10;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            for (int round = 0; round < rounds; round++) {
                long slot = round;
                List<Future<Boolean>> results = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    int writer = w;
                    results.add(pool.submit(() -> {
                        try {
                            store().appendMessages(expecting("x6", "r" + slot + "w" + writer, slot, "w" + writer));
                            return true;
                        } catch (SequenceMismatchException lost) {
                            assertThat(lost.actualNextSequence()).isEqualTo(slot + 1);
                            return false;
                        }
                    }));
                }
                int won = 0;
                for (Future<Boolean> f : results) {
                    won += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
                }
                assertThat(won).as("writers that appended at sequence %d", slot).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(count("x6")).isEqualTo(rounds);
    }

    @Test
    default void negativeExpectedSequence_isRefusedByTheRequest() {
        assertThatThrownBy(() -> AppendRequest.builder("x7", "en").messages(Message.user("hi")).expectedSequence(-1).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expectedSequence").hasMessageContaining("negative");
    }
}
