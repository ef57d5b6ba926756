package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.Summarizer;
import io.github.conversationstore.testing.SteppableClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Review (issue 22, held): a turn loses its lease while its summarizer runs (a pause longer than
 * the lease: the store's clock is stepped past it), another process's turn takes the session,
 * stores its messages and compacts; then the first summarizer returns and its turn writes late.
 */
class CompactionLeaseAdversarialTest {

    @Test
    void leaseLostDuringTheSummarizer_theLateWriteIsRefusedOrTheSame_andTheRangesStayContiguous() {
        SteppableClock clock = new SteppableClock(Duration.ZERO);
        InMemoryConversationStore store = InMemoryConversationStore.builder().clock(clock).build();
        Duration lease = Duration.ofSeconds(20);
        AtomicReference<TurnService> other = new AtomicReference<>();
        AtomicBoolean paused = new AtomicBoolean();
        AtomicReference<TurnResult> othersTurn = new AtomicReference<>();
        Summarizer slow = request -> {
            if (paused.compareAndSet(false, true)) {
                clock.step(Duration.ofMinutes(5)); // longer than the lease and the call's timeout
                othersTurn.set(other.get().respond("s", "en", "meanwhile", "other-turn"));
            }
            return Message.system("A[" + request.fromSequence() + "," + request.toSequence() + ")");
        };
        Summarizer quick = request -> Message.system("B[" + request.fromSequence() + "," + request.toSequence() + ")");
        try (TurnService a = service(store, slow, lease); TurnService b = service(store, quick, lease)) {
            other.set(b);
            for (int i = 1; i <= 5; i++) {
                a.respond("s", "en", "question " + i, "turn-" + i);
            }
            assertThat(store.summaries("s")).isEmpty();

            TurnResult sixth = a.respond("s", "en", "question 6", "turn-6");

            assertThat(paused).isTrue();
            assertThat(sixth.reply().text()).isEqualTo("ok");
            assertThat(othersTurn.get().reply().text()).isEqualTo("ok");
            List<Summary> summaries = store.summaries("s");
            assertThat(summaries).isNotEmpty();
            List<Summary> byEnd = summaries.stream().sorted(InMemoryConversationStore.SUMMARY_ORDER).toList();
            long end = 0;
            for (Summary s : byEnd) {
                assertThat(s.fromSequence() == 0 || s.fromSequence() == end).as("%s follows %d", s, end).isTrue();
                assertThat(s.toSequence()).isGreaterThan(end);
                end = s.toSequence();
            }
            assertThat(summaries).as("the other process compacted while it held the session")
                    .anySatisfy(s -> assertThat(s.message().text()).startsWith("B["));
            assertThat(store.readMessages("s", 0, 100)).hasSize(14);
            assertThat(store.contextWindow("s", 100, message -> 10).summary()).isPresent();
        }
    }

    private static TurnService service(ConversationStore store, Summarizer summarizer, Duration lease) {
        Compaction policy = Compaction.builder().triggerTokens(100).keepTokens(40).summaryTokens(30)
                .tokenCounter(message -> 10).summarizer(summarizer).timeout(Duration.ofSeconds(10)).build();
        return TurnService.builder(store).provider(ScriptedReplyProvider.of(request -> Reply.of("ok"))).compaction(policy)
                .replyTimeout(Duration.ofSeconds(10)).leaseDuration(lease).busyTimeout(Duration.ofSeconds(5))
                .retryBackoff(Duration.ofMillis(10)).build();
    }
}
