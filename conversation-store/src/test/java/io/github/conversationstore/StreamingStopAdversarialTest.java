package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.AbstractStreamingTurnTest.Words;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.StreamingReplyProvider;
import io.github.conversationstore.testing.BothStores;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Review (issue 24): stops that did not reach, or reached too far.
 *
 * <ul>
 *   <li>A provider whose streaming client swallows what the delta consumer throws (several SDKs'
 *       stream handlers catch and log a handler's exception and go on): before the fix a stop was
 *       ignored and the full reply stored as if never stopped, and a stream over the store's text
 *       limit failed the turn ("its reply could not be stored") instead of storing it truncated.
 *       Now a stream that was told to stop ends stopped (or truncated) whatever the provider
 *       returns.
 *   <li>{@link BusyPolicy#INTERRUPT} marks stopped every recent draft of the session that has not
 *       ended, a failed turn's too; before the fix the failed turn's later resume (a new run, by its
 *       turn id) was stopped at its first delta and stored an empty reply marked stopped. Now a stop
 *       is kept for the next attempt of the same run only; a resume starts unstopped.
 * </ul>
 */
class StreamingStopAdversarialTest extends AbstractStreamingReviewTest {
    /** Hands each delta to the sink, dropping whatever the sink throws, as a forgiving stream handler does. */
    private static void forgiving(Consumer<String> sink, String delta, AtomicInteger swallowed) {
        try {
            sink.accept(delta);
        } catch (RuntimeException e) {
            swallowed.incrementAndGet();
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void aStop_thatTheProvidersStreamSwallows_stillStoresThePartialMarkedStopped(Supplier<ConversationStore> factory)
            throws Exception {
        CountDownLatch streaming = new CountDownLatch(1);
        CountDownLatch asked = new CountDownLatch(1);
        AtomicInteger swallowed = new AtomicInteger();
        StreamingReplyProvider forgivingProvider = (request, sink) -> {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < 40; i++) {
                String word = "w" + i + " ";
                forgiving(sink, word, swallowed);
                all.append(word);
                if (i == 5) {
                    streaming.countDown();
                    try {
                        asked.await(10, TimeUnit.SECONDS);
                        Thread.sleep(30); // the next delta's draft write brings the stop
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            return Reply.of(all.toString());
        };
        try (ConversationStore store = factory.get(); TurnService service = turns(store, forgivingProvider).build()) {
            Future<TurnResult> turn = pool.submit(() -> service.respond("s", "en", "go", "t1"));
            assertThat(streaming.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(service.stop("s", "t1")).isTrue();
            asked.countDown();
            TurnResult result = turn.get(20, TimeUnit.SECONDS);
            assertThat(swallowed.get()).as("the provider swallowed the stop").isPositive();
            assertThat(result.reply().message().metadata()).containsEntry(Message.FINISH_REASON, TurnService.STOPPED);
            assertThat(result.reply().text()).startsWith("w0 w1 w2 w3 w4 w5 w6 ").doesNotContain("w39");
            assertThat(store.readMessages("s", 0, 10)).hasSize(2);
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void aStreamOverTheTextLimit_whoseStopIsSwallowed_isStoredTruncated(Supplier<ConversationStore> factory) {
        AtomicInteger swallowed = new AtomicInteger();
        String chunk = "é".repeat(500) + "x";
        StreamingReplyProvider flood = (request, sink) -> {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < 100; i++) {
                forgiving(sink, chunk, swallowed);
                all.append(chunk);
            }
            return Reply.of(all.toString());
        };
        try (ConversationStore store = factory.get(); TurnService service = turns(store, flood).build()) {
            TurnResult result = service.respond("s", "en", "write a lot", "t1");
            assertThat(swallowed.get()).isPositive();
            assertThat(result.reply().message().metadata()).containsEntry(Message.FINISH_REASON, TurnService.TRUNCATED);
            assertThat(result.reply().text().getBytes(StandardCharsets.UTF_8).length)
                    .isLessThanOrEqualTo(ConversationStore.DEFAULT_MAX_TEXT_BYTES);
            assertThat(chunk.repeat(100)).startsWith(result.reply().text());
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void aFailedTurnInterruptedByTheNextMessage_isResumedInFull_notStoppedAtOnce(Supplier<ConversationStore> factory)
            throws Exception {
        Words words = new Words(20, 1);
        words.failHalfway = new IllegalStateException("the provider broke mid-stream");
        try (ConversationStore store = factory.get();
                TurnService service = turns(store, words).maxProviderAttempts(1).build();
                TurnService interrupting = turns(store, words).busyPolicy(BusyPolicy.INTERRUPT).build()) {
            assertThatThrownBy(() -> service.respond("s", "en", "first", "t1")).isInstanceOf(ReplyFailedException.class);
            // the next message streams; a third one, a moment later, interrupts it (and so asks every
            // recent draft of the session that has not ended to stop, the failed turn's too)
            words.halfway = new CountDownLatch(1);
            words.release = new CountDownLatch(1);
            Future<TurnResult> second = pool.submit(() -> service.respond("s", "en", "second", "t2"));
            assertThat(words.halfway.await(10, TimeUnit.SECONDS)).isTrue();
            Future<TurnResult> third = pool.submit(() -> interrupting.respond("s", "en", "third", "t3"));
            Thread.sleep(300);
            words.release.countDown();
            assertThat(second.get(20, TimeUnit.SECONDS).reply().message().metadata())
                    .containsEntry(Message.FINISH_REASON, TurnService.STOPPED);
            assertThat(third.get(20, TimeUnit.SECONDS).reply().text()).isEqualTo(Words.text(20, 3));
            // the user retries the failed turn: a new run, which nobody asked to stop
            TurnResult resumed = service.respond("s", "en", "first", "t1");
            assertThat(resumed.reply().message().metadata()).doesNotContainKey(Message.FINISH_REASON);
            assertThat(resumed.reply().text()).isEqualTo(Words.text(20, 4));
        }
    }
}
