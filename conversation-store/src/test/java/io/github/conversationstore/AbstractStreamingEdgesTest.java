package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.AbstractStreamingTurnTest.Collected;
import io.github.conversationstore.AbstractStreamingTurnTest.Words;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.StreamingReplyProvider;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Streaming turns at their edges, against every store: what a second message does while a turn
 * streams (the {@link BusyPolicy busy policies}), and providers that misbehave: a pause longer than
 * the gap timeout, a delta after the reply, no delta at all, a failure mid-stream, a reply over the
 * store's text limit, a stream that never ends; followers with offsets the reply never reached.
 */
abstract class AbstractStreamingEdgesTest extends AbstractTwoStoreTest {
    final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    TurnService.Builder turns(ConversationStore store, StreamingReplyProvider provider) {
        return TurnService.builder(store).provider(provider).replyTimeout(Duration.ofSeconds(10))
                .retryBackoff(Duration.ofMillis(10)).draftInterval(Duration.ofMillis(20))
                .leaseDuration(Duration.ofSeconds(11));
    }

    private List<String> texts() {
        return second.readMessages("s", 0, 100).stream().map(StoredMessage::text).toList();
    }

    @Test
    void queue_answersMessagesSentWhileATurnStreams_inTheOrderTheyCame() throws Exception {
        Words words = new Words(20, 1);
        words.release = new CountDownLatch(1);
        try (TurnService service = turns(first, words).busyPolicy(BusyPolicy.QUEUE).busyTimeout(Duration.ZERO).build()) {
            Future<TurnResult> running = pool.submit(() -> service.respond("s", "en", "first", "t1"));
            assertThat(words.halfway.await(10, TimeUnit.SECONDS)).isTrue();
            Future<TurnResult> second = pool.submit(() -> service.respond("s", "en", "second", "t2"));
            Thread.sleep(100);
            Future<TurnResult> third = pool.submit(() -> service.respond("s", "en", "third", "t3"));
            Thread.sleep(100);
            words.release.countDown();

            assertThat(running.get(20, TimeUnit.SECONDS).reply().text()).isEqualTo(Words.text(20, 1));
            assertThat(second.get(20, TimeUnit.SECONDS).reply().text()).isEqualTo(Words.text(20, 2));
            assertThat(third.get(20, TimeUnit.SECONDS).reply().text()).isEqualTo(Words.text(20, 3));
        }
        assertThat(texts()).containsExactly("first", Words.text(20, 1), "second", Words.text(20, 2), "third",
                Words.text(20, 3));
    }

    @Test
    void queue_givesUpAfterTheQueueTimeout_storingNothing() throws Exception {
        Words words = new Words(20, 1);
        words.release = new CountDownLatch(1);
        try (TurnService service = turns(first, words).build();
                TurnService queued = turns(second, words).busyPolicy(BusyPolicy.QUEUE)
                        .queueTimeout(Duration.ofMillis(300)).build()) {
            Future<TurnResult> running = pool.submit(() -> service.respond("s", "en", "first", "t1"));
            assertThat(words.halfway.await(10, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> queued.respond("s", "en", "second", "t2"))
                    .isInstanceOf(ConversationBusyException.class).hasMessageContaining("QUEUE");
            words.release.countDown();
            running.get(20, TimeUnit.SECONDS);
        }
        assertThat(texts()).containsExactly("first", Words.text(20, 1));
    }

    @Test
    void interrupt_fromAnotherProcess_stopsTheStreamingTurn_keepsItsPartial_thenAnswers() throws Exception {
        Words words = new Words(400, 2);
        words.release = new CountDownLatch(1);
        try (TurnService producer = turns(first, words).build();
                TurnService interrupting = turns(second, words).busyPolicy(BusyPolicy.INTERRUPT).build()) {
            Future<TurnResult> running = pool.submit(() -> producer.respond("s", "en", "a long one", "t1"));
            assertThat(words.halfway.await(10, TimeUnit.SECONDS)).isTrue();
            Future<TurnResult> next = pool.submit(() -> interrupting.respond("s", "en", "no, this", "t2"));
            Thread.sleep(150); // its stop request is stored
            words.release.countDown();

            TurnResult stopped = running.get(20, TimeUnit.SECONDS);
            assertThat(stopped.reply().message().metadata()).containsEntry(Message.FINISH_REASON, TurnService.STOPPED);
            assertThat(Words.text(400, 1)).startsWith(stopped.reply().text());
            assertThat(stopped.reply().text().length()).isLessThan(Words.text(400, 1).length());
            TurnResult answered = next.get(30, TimeUnit.SECONDS);
            assertThat(answered.reply().text()).isEqualTo(Words.text(400, 2));
            assertThat(texts()).containsExactly("a long one", stopped.reply().text(), "no, this", Words.text(400, 2));
        }
    }

    /** First call: one delta, then silence past the gap; later calls stream at once. */
    static final class Stalls implements StreamingReplyProvider {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public Reply stream(ReplyRequest request, Consumer<String> deltas) {
            int call = calls.incrementAndGet();
            deltas.accept("call " + call + " ");
            if (call == 1) {
                try {
                    Thread.sleep(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted after its gap", e);
                }
            }
            deltas.accept("done");
            return Reply.of("call " + call + " done");
        }
    }

    @Test
    void aStreamSilentLongerThanTheGapTimeout_isRetried_andFailsWhenNoAttemptIsLeft() {
        Stalls stalls = new Stalls();
        long start = System.nanoTime();
        try (TurnService service = turns(first, stalls).deltaGapTimeout(Duration.ofMillis(300)).build()) {
            assertThat(service.respond("s", "en", "hi", "t1").reply().text()).isEqualTo("call 2 done");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        assertThat(stalls.calls).hasValue(2);

        Stalls once = new Stalls();
        try (TurnService service = turns(first, once).deltaGapTimeout(Duration.ofMillis(300)).maxProviderAttempts(1)
                .build()) {
            assertThatThrownBy(() -> service.respond("s", "en", "again", "t2")).isInstanceOf(ReplyFailedException.class)
                    .hasMessageContaining("gap timeout");
        }
        assertThat(texts()).containsExactly("hi", "call 2 done", "again");
    }

    @Test
    void aStreamThatNeverEnds_failsAtTheReplyTimeout_andTheConversationStaysValid() {
        StreamingReplyProvider endless = (request, deltas) -> {
            deltas.accept("and then ");
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("interrupted");
        };
        try (TurnService service = turns(first, endless).replyTimeout(Duration.ofMillis(300))
                .leaseDuration(Duration.ofSeconds(2)).maxProviderAttempts(1).build()) {
            assertThatThrownBy(() -> service.respond("s", "en", "hi", "t1")).isInstanceOf(ReplyFailedException.class)
                    .hasMessageContaining("no reply within");
        }
        assertThat(texts()).containsExactly("hi");
    }

    @Test
    void aDeltaAfterTheReply_isRefusedToTheProvider_andChangesNothing() {
        AtomicReference<Consumer<String>> kept = new AtomicReference<>();
        StreamingReplyProvider late = (request, deltas) -> {
            kept.set(deltas);
            deltas.accept("on time");
            return Reply.of("on time");
        };
        try (TurnService service = turns(first, late).build()) {
            TurnResult result = service.respond("s", "en", "hi", "t1");
            assertThatThrownBy(() -> kept.get().accept(" and late")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("has ended");
            Collected seen = new Collected();
            assertThat(service.followTurn("s", "t1", 0, seen, Duration.ofSeconds(5))).contains(result.reply());
            assertThat(seen.text.toString()).isEqualTo("on time");
        }
        assertThat(texts()).containsExactly("hi", "on time");
        assertThat(AbstractStreamingTurnTest.drafts(second).read("s", "t1").orElseThrow().ended()).isTrue();
    }

    @Test
    void aStreamingProviderThatEmitsNothing_hasItsReplyStoredAndFollowed() {
        StreamingReplyProvider silent = (request, deltas) -> Reply.of("all at once");
        try (TurnService service = turns(first, silent).build()) {
            TurnResult result = service.respond("s", "en", "hi", "t1");
            Collected seen = new Collected();
            assertThat(service.followTurn("s", "t1", 0, seen, Duration.ofSeconds(5))).contains(result.reply());
            assertThat(seen.text.toString()).isEqualTo("all at once");
        }
        assertThat(texts()).containsExactly("hi", "all at once");
    }

    @Test
    void aRetryableFailureMidStream_isRetried_withOneReply_andTheFollowerStartsOver() throws Exception {
        Words words = new Words(30, 1);
        words.failHalfway = new ReplyProviderException("connection reset mid-stream", true, null);
        try (TurnService service = turns(first, words).build(); TurnService other = turns(second, words).build()) {
            TurnResult result = service.respond("s", "en", "go", "t1");
            assertThat(result.reply().text()).isEqualTo(Words.text(30, 2));
            Collected seen = new Collected();
            assertThat(other.followTurn("s", "t1", 0, seen, Duration.ofSeconds(5))).contains(result.reply());
            assertThat(seen.text.toString()).isEqualTo(Words.text(30, 2));
        }
        assertThat(words.calls).hasValue(2);
        assertThat(texts()).containsExactly("go", Words.text(30, 2));
    }

    @Test
    void aStreamOverTheStoresTextLimit_endsThere_storedMarkedTruncated() {
        int limit = ConversationStore.DEFAULT_MAX_TEXT_BYTES;
        AtomicInteger emitted = new AtomicInteger();
        StreamingReplyProvider flood = (request, deltas) -> {
            String chunk = "é".repeat(500) + "x"; // 1,001 bytes: the limit falls inside a chunk
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < 100; i++) {
                deltas.accept(chunk);
                emitted.incrementAndGet();
                all.append(chunk);
            }
            return Reply.of(all.toString());
        };
        try (TurnService service = turns(first, flood).build()) {
            TurnResult result = service.respond("s", "en", "write a lot", "t1");
            assertThat(result.reply().message().metadata()).containsEntry(Message.FINISH_REASON, TurnService.TRUNCATED);
            byte[] stored = result.reply().text().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            assertThat(stored.length).isLessThanOrEqualTo(limit).isGreaterThan(limit - 2);
            assertThat(("é".repeat(500) + "x").repeat(100)).startsWith(result.reply().text());
        }
        assertThat(emitted.get()).as("the stream was ended at the limit").isLessThan(100);
        assertThat(texts()).hasSize(2);
    }

    @Test
    void aFollowerPastTheEndOfTheReply_isRefused_andOneAtItsEndGetsNothingMore() {
        try (TurnService service = turns(first, new Words(3, 0)).build()) {
            TurnResult result = service.respond("s", "en", "hi", "t1");
            int length = result.reply().text().codePointCount(0, result.reply().text().length());
            assertThatThrownBy(() -> service.followTurn("s", "t1", length + 5, new Collected(), Duration.ofSeconds(5)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fromOffset")
                    .hasMessageContaining(String.valueOf(length));
            Collected seen = new Collected();
            assertThat(service.followTurn("s", "t1", length, seen, Duration.ofSeconds(5))).contains(result.reply());
            assertThat(seen.text.toString()).isEmpty();
        }
    }

    @Test
    void badSettings_areRefusedNamingThem() {
        assertThatThrownBy(() -> TurnService.builder(first).deltaGapTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deltaGapTimeout");
        assertThatThrownBy(() -> TurnService.builder(first).queueTimeout(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("queueTimeout");
        assertThatThrownBy(() -> TurnService.builder(first).busyPolicy(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("policy");
    }
}
