package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.AbstractStreamingTurnTest.Collected;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.StreamingReplyProvider;
import io.github.conversationstore.testing.BothStores;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Review (issue 24): a provider that splits a character outside the BMP (an emoji) between two
 * deltas, as providers streaming UTF-16 chunks do. Before the fix the draft was written with the
 * lone high surrogate at its end: a follower counted it as one code point, was handed it (U+FFFD
 * on MongoDB, where the text is made well-formed), and then skipped the whole emoji, so its text
 * differed from the stored reply ("a\uFFFDb..." for "a😀b..."); a stop that came right after the
 * high surrogate stored the reply ending in U+FFFD. Now a draft and a stopped reply end at the last
 * whole code point.
 */
class StreamingSurrogateAdversarialTest extends AbstractStreamingReviewTest {
    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void anEmojiSplitBetweenTwoDeltas_reachesTheFollowerWhole(Supplier<ConversationStore> factory) throws Exception {
        List<String> deltas = List.of("a", "\uD83D", "\uDE00", "b", "\uD83D", "\uDE01c", "\u4F60\u597D");
        String whole = String.join("", deltas);
        // each delta is written to the draft (the interval passed) and seen by the follower before the next
        StreamingReplyProvider split = (request, sink) -> {
            for (String delta : deltas) {
                sink.accept(delta);
                sleep(150);
            }
            return Reply.of(whole);
        };
        try (ConversationStore store = factory.get(); TurnService service = turns(store, split).build()) {
            Collected seen = new Collected();
            Future<Optional<StoredMessage>> follow = pool.submit(
                    () -> service.followTurn("s", "t1", 0, seen, Duration.ofSeconds(20)));
            TurnResult result = service.respond("s", "en", "emoji please", "t1");
            assertThat(result.reply().text()).isEqualTo(whole);
            assertThat(follow.get(20, TimeUnit.SECONDS)).contains(result.reply());
            assertThat(seen.text.toString()).isEqualTo(whole);

            // a client that reconnects after "a😀" (2 code points) gets the rest, from the stored reply
            Collected late = new Collected();
            assertThat(service.followTurn("s", "t1", 2, late, Duration.ofSeconds(5))).isPresent();
            assertThat(late.text.toString()).isEqualTo("b\uD83D\uDE01c\u4F60\u597D");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void aStopRightAfterAHighSurrogate_storesTheReplyUpToTheLastWholeCharacter(Supplier<ConversationStore> factory)
            throws Exception {
        CountDownLatch streaming = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        StreamingReplyProvider split = (request, sink) -> {
            sink.accept("x\uD83D\uDE00y");
            streaming.countDown();
            try {
                stopped.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sleep(30);
            sink.accept("\uD83D"); // written, and the answer says stop: the stream ends here
            sink.accept("\uDE00 and more");
            return Reply.of("x\uD83D\uDE00y\uD83D\uDE00 and more");
        };
        try (ConversationStore store = factory.get(); TurnService service = turns(store, split).build()) {
            Future<TurnResult> turn = pool.submit(() -> service.respond("s", "en", "go", "t1"));
            assertThat(streaming.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(service.stop("s", "t1")).isTrue();
            stopped.countDown();
            TurnResult result = turn.get(20, TimeUnit.SECONDS);
            assertThat(result.reply().message().metadata()).containsEntry(Message.FINISH_REASON, TurnService.STOPPED);
            assertThat(result.reply().text()).isEqualTo("x\uD83D\uDE00y");
            assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("go", "x\uD83D\uDE00y");
        }
    }
}
