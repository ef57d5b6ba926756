package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyFollower;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.StreamingReplyProvider;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Streaming turns against every store: {@link #first} and {@link #second} are two stores over the
 * same data (for MongoDB two clients, standing for two processes).
 */
abstract class AbstractStreamingTurnTest extends AbstractTwoStoreTest {
    final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    /** Streams "c1w0 c1w1 ... " (c: the call's number) a word at a time, pausing between words; counts its calls. */
    static final class Words implements StreamingReplyProvider {
        final int words;
        final long pauseMillis;
        final AtomicInteger calls = new AtomicInteger();
        volatile CountDownLatch halfway = new CountDownLatch(1);
        volatile CountDownLatch release = new CountDownLatch(0);
        volatile RuntimeException failHalfway;

        Words(int words, long pauseMillis) {
            this.words = words;
            this.pauseMillis = pauseMillis;
        }

        static String text(int words) {
            return text(words, 1);
        }

        static String text(int words, int call) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < words; i++) {
                text.append(word(call, i));
            }
            return text.toString();
        }

        static String word(int call, int i) {
            return "c" + call + "w" + i + " ";
        }

        @Override
        public Reply stream(ReplyRequest request, Consumer<String> deltas) {
            int call = calls.incrementAndGet();
            for (int i = 0; i < words; i++) {
                deltas.accept(word(call, i));
                if (i == words / 2) {
                    halfway.countDown();
                    RuntimeException failure = failHalfway;
                    if (failure != null) {
                        failHalfway = null;
                        throw failure;
                    }
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                }
                sleep(pauseMillis);
            }
            return Reply.of(text(words, call));
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Collects what a follower gets. */
    static final class Collected implements ReplyFollower {
        final StringBuilder text = new StringBuilder();
        final AtomicInteger restarts = new AtomicInteger();

        @Override
        public synchronized void delta(String delta) {
            assertThat(delta).isNotEmpty();
            text.append(delta);
        }

        @Override
        public synchronized void restarted() {
            restarts.incrementAndGet();
            text.setLength(0);
        }
    }

    TurnService.Builder turns(ConversationStore store, StreamingReplyProvider provider) {
        return TurnService.builder(store).provider(provider).replyTimeout(Duration.ofSeconds(10))
                .retryBackoff(Duration.ofMillis(10)).draftInterval(Duration.ofMillis(20)).leaseDuration(Duration.ofSeconds(11));
    }

    @Test
    void streamedReply_isStoredOnce_andAFollowerInAnotherProcessGetsEveryCharacterOnce() throws Exception {
        Words words = new Words(60, 2);
        words.release = new CountDownLatch(1);
        try (TurnService producer = turns(first, words).build(); TurnService follower = turns(second, words).build()) {
            Future<TurnResult> turn = pool.submit(() -> producer.respond("s", "en", "tell me", "t1"));
            assertThat(words.halfway.await(10, TimeUnit.SECONDS)).isTrue();
            Collected early = new Collected();
            Future<Optional<StoredMessage>> following = pool.submit(
                    () -> follower.followTurn("s", "t1", 0, early, Duration.ofSeconds(20)));
            // a client that had shown 5 code points reconnects
            Collected late = new Collected();
            Future<Optional<StoredMessage>> resumed = pool.submit(
                    () -> follower.followTurn("s", "t1", 5, late, Duration.ofSeconds(20)));
            Thread.sleep(100);
            words.release.countDown();

            TurnResult result = turn.get(20, TimeUnit.SECONDS);
            assertThat(result.reply().text()).isEqualTo(Words.text(60));
            assertThat(following.get(20, TimeUnit.SECONDS)).contains(result.reply());
            assertThat(resumed.get(20, TimeUnit.SECONDS)).contains(result.reply());
            assertThat(early.text.toString()).isEqualTo(Words.text(60));
            assertThat(late.text.toString()).isEqualTo(Words.text(60).substring(5));
            assertThat(early.restarts).hasValue(0);
        }
        assertThat(second.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("tell me", Words.text(60));
        Draft draft = drafts(second).read("s", "t1").orElseThrow();
        assertThat(draft.ended()).isTrue();
        assertThat(draft.text()).isEmpty();
        assertThat(draft.replySequence()).isEqualTo(1);
        // a follower after the end gets the stored reply
        Collected after = new Collected();
        try (TurnService follower = turns(second, words).build()) {
            assertThat(follower.followTurn("s", "t1", 3, after, Duration.ofSeconds(5))).isPresent();
        }
        assertThat(after.text.toString()).isEqualTo(Words.text(60).substring(3));
    }

    @Test
    void stop_fromAnotherProcess_storesThePartialReplyMarkedStopped() throws Exception {
        Words words = new Words(400, 2);
        words.release = new CountDownLatch(1);
        try (TurnService producer = turns(first, words).build(); TurnService other = turns(second, words).build()) {
            Future<TurnResult> turn = pool.submit(() -> producer.respond("s", "en", "a long one", "t2"));
            assertThat(words.halfway.await(10, TimeUnit.SECONDS)).isTrue();
            Collected seen = new Collected();
            Future<Optional<StoredMessage>> following = pool.submit(() -> other.followTurn("s", "t2", 0, seen, Duration.ofSeconds(20)));
            assertThat(other.stop("s", "t2")).isTrue();
            words.release.countDown();

            TurnResult result = turn.get(20, TimeUnit.SECONDS);
            String partial = result.reply().text();
            assertThat(Words.text(400)).startsWith(partial);
            assertThat(partial.length()).isGreaterThan(0).isLessThan(Words.text(400).length());
            assertThat(result.reply().message().metadata()).containsEntry(Message.FINISH_REASON, TurnService.STOPPED);
            assertThat(following.get(20, TimeUnit.SECONDS)).contains(result.reply());
            assertThat(seen.text.toString()).isEqualTo(partial);
            assertThat(other.stop("s", "t2")).as("a stop of an ended turn").isFalse();
            assertThat(other.stop("s", "unknown")).isFalse();
            // a retry of the stopped turn replays it
            assertThat(producer.respond("s", "en", "a long one", "t2").replayed()).isTrue();
        }
        assertThat(second.readMessages("s", 0, 10)).hasSize(2);
        assertThat(words.calls).hasValue(1);
    }

    @Test
    void streamThatDiesMidway_isResumedInAnotherProcess_withOneReply_andTheFollowerStartsOver() throws Exception {
        Words words = new Words(40, 1);
        words.failHalfway = new IllegalStateException("the process dies mid-stream");
        try (TurnService dying = turns(first, words).maxProviderAttempts(1).build();
                TurnService other = turns(second, words).build()) {
            assertThatThrownBy(() -> dying.respond("s", "en", "go", "t3")).isInstanceOf(ReplyFailedException.class);
            Draft partial = drafts(second).read("s", "t3").orElseThrow();
            assertThat(partial.ended()).isFalse();
            assertThat(Words.text(40)).startsWith(partial.text());

            Collected seen = new Collected();
            Future<Optional<StoredMessage>> following = pool.submit(() -> other.followTurn("s", "t3", 0, seen, Duration.ofSeconds(20)));
            Thread.sleep(50);
            TurnResult resumed = other.respond("s", "en", "go", "t3");

            assertThat(resumed.reply().text()).isEqualTo(Words.text(40, 2));
            assertThat(following.get(20, TimeUnit.SECONDS)).contains(resumed.reply());
            assertThat(seen.text.toString()).isEqualTo(Words.text(40, 2));
            assertThat(seen.restarts).hasValue(1);
            assertThat(drafts(second).read("s", "t3").orElseThrow().attempt()).isEqualTo(2);
        }
        assertThat(second.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("go", Words.text(40, 2));
    }

    @Test
    void draftsGoWithTheirConversation_andNeverAppearInReads() {
        Words words = new Words(10, 0);
        try (TurnService service = turns(first, words).build()) {
            service.respond("s", "en", "hello", "t4");
            assertThat(drafts(second).read("s", "t4")).isPresent();
            assertThat(second.recentMessages("s", 10)).hasSize(2);
            second.deleteConversation("s");
            assertThat(drafts(second).read("s", "t4")).isEmpty();
            assertThat(service.followTurn("s", "t4", 0, new Collected(), Duration.ofMillis(100))).isEmpty();
        }
    }

    @Test
    void badInput_isRefusedNamingTheArgument() {
        try (TurnService service = turns(first, new Words(3, 0)).build()) {
            assertThatThrownBy(() -> service.followTurn("s", "t", -1, new Collected(), Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fromOffset");
            assertThatThrownBy(() -> service.followTurn("s", "t", 0, new Collected(), Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
            assertThatThrownBy(() -> service.followTurn("", "t", 0, new Collected(), Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sessionId");
            assertThatThrownBy(() -> service.stop("s", "")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("turnId");
        }
        assertThatThrownBy(() -> TurnService.builder(first).draftInterval(Duration.ZERO))
                .hasMessageContaining("draftInterval");
        assertThatThrownBy(() -> TurnService.builder(first).draftBytes(0)).hasMessageContaining("draftBytes");
    }

    static DraftStore drafts(ConversationStore store) {
        return ((StoreGate) store).drafts();
    }

    /** Keeps the compiler from flagging the list import when subclasses add none. */
    static List<String> none() {
        return List.of();
    }
}
