package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.AbstractStreamingTurnTest.Collected;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.StreamingReplyProvider;
import io.github.conversationstore.testing.BothStores;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Review (issue 24), an attack that held: a provider that ignores interruption after the gap
 * timeout goes on streaming into the turn's draft while the next attempt streams too. Its writes
 * are fenced on the attempt number and change nothing; the follower hears one restart and only the
 * new attempt's text after it; one reply is stored.
 */
class StreamingTwoAttemptsAdversarialTest extends AbstractStreamingReviewTest {
    /** Sleeps {@code millis}, going on when interrupted (as a provider that ignores interruption does). */
    private static void stubbornSleep(long millis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() - end < 0) {
            try {
                Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
            } catch (InterruptedException ignored) {
                // keeps going
            }
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void anAttemptThatOutlivesItsGapTimeout_cannotWriteIntoTheNextAttemptsDraft(Supplier<ConversationStore> factory)
            throws Exception {
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger staleRefused = new AtomicInteger();
        StreamingReplyProvider stubborn = (request, deltas) -> {
            int call = calls.incrementAndGet();
            if (call == 1) {
                deltas.accept("first ");
                stubbornSleep(600); // past the gap: the runner gives up on it and calls again
                for (int i = 0; i < 20; i++) {
                    try {
                        deltas.accept("STALE" + i + " ");
                    } catch (RuntimeException e) {
                        staleRefused.incrementAndGet();
                    }
                    stubbornSleep(20);
                }
                return Reply.of("first STALE");
            }
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < 30; i++) {
                String word = "fresh" + i + " ";
                deltas.accept(word);
                all.append(word);
                stubbornSleep(20);
            }
            return Reply.of(all.toString());
        };
        try (ConversationStore store = factory.get();
                TurnService service = TurnService.builder(store).provider(stubborn).replyTimeout(Duration.ofSeconds(10))
                        .deltaGapTimeout(Duration.ofMillis(200)).retryBackoff(Duration.ofMillis(10))
                        .draftInterval(Duration.ofMillis(10)).build()) {
            Collected seen = new Collected();
            Future<Optional<StoredMessage>> follow = pool.submit(
                    () -> service.followTurn("s", "t1", 0, seen, Duration.ofSeconds(30)));
            TurnResult result = service.respond("s", "en", "go", "t1");
            assertThat(calls).hasValue(2);
            assertThat(result.reply().text()).startsWith("fresh0 ").doesNotContain("STALE");
            assertThat(follow.get(30, TimeUnit.SECONDS)).contains(result.reply());
            assertThat(seen.text.toString()).isEqualTo(result.reply().text());
            assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::text)
                    .containsExactly("go", result.reply().text());
        }
    }
}
