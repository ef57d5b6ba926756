package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.AbstractStreamingTurnTest.Collected;
import io.github.conversationstore.AbstractStreamingTurnTest.Words;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.StreamingReplyProvider;
import io.github.conversationstore.testing.BothStores;
import io.github.conversationstore.testing.FaultInjectingProxy;
import java.time.Duration;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Review (issue 24): followers of turns whose draft is missing, stuck or gone. Before the fixes a
 * follower only ever looked at the draft: it followed a turn of a provider that does not stream
 * until its timeout and returned empty although the reply was stored at once; when the end marker
 * could not be written (or the draft's start was lost) it waited on a draft that never changed until
 * its timeout; and when the conversation was deleted under it, it went on polling for the whole
 * timeout. Now a follower that hears nothing for a second looks for the turn's reply among the
 * conversation's newest messages by its step id, and a draft that was seen and is gone ends the
 * following (the stored reply if there is one, else empty). A provider whose final text differs
 * from its deltas ("Hello wor" streamed, "Hello, world" returned) left the follower with the two
 * spliced ("Hello world"); now it starts over with the stored reply.
 */
class StreamingFollowAdversarialTest extends AbstractStreamingReviewTest {
    @ParameterizedTest
    @MethodSource("stores")
    void aTurnOfAProviderThatDoesNotStream_isFollowedToItsStoredReply(Supplier<ConversationStore> factory)
            throws Exception {
        ReplyProvider plain = new ReplyProvider() {
            @Override
            public Reply reply(ReplyRequest request) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Reply.of("a plain answer");
            }
        };
        try (ConversationStore store = factory.get(); TurnService service = turns(store, plain).build()) {
            Collected seen = new Collected();
            Future<Optional<StoredMessage>> follow = pool.submit(
                    () -> service.followTurn("s", "t1", 0, seen, Duration.ofSeconds(30)));
            TurnResult result = service.respond("s", "en", "hello", "t1");
            long start = System.nanoTime();
            assertThat(follow.get(30, TimeUnit.SECONDS)).contains(result.reply());
            assertThat(seen.text.toString()).isEqualTo("a plain answer");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("well before the follower's timeout")
                    .isLessThan(Duration.ofSeconds(10));
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void aFollowerOfAConversationDeletedMidStream_endsEmpty_beforeItsTimeout(Supplier<ConversationStore> factory)
            throws Exception {
        Words words = new Words(20, 1);
        words.release = new CountDownLatch(1);
        try (ConversationStore store = factory.get(); TurnService service = turns(store, words).build()) {
            Future<TurnResult> turn = pool.submit(() -> service.respond("s", "en", "go", "t1"));
            assertThat(words.halfway.await(10, TimeUnit.SECONDS)).isTrue();
            Collected seen = new Collected();
            Future<Optional<StoredMessage>> follow = pool.submit(
                    () -> service.followTurn("s", "t1", 0, seen, Duration.ofSeconds(60)));
            Thread.sleep(300);
            assertThat(seen.text.toString()).isNotEmpty();
            store.deleteConversation("s");
            long start = System.nanoTime();
            assertThat(follow.get(30, TimeUnit.SECONDS)).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("well before the follower's timeout")
                    .isLessThan(Duration.ofSeconds(10));
            assertThat(Words.text(20, 1)).startsWith(seen.text.toString());
            words.release.countDown();
            catchThrowable(() -> turn.get(30, TimeUnit.SECONDS)); // its fenced reply finds no lease
            assertThat(store.readMessages("s", 0, 10)).as("nothing of the erased life comes back").isEmpty();
        }
    }

    /** The provider's final text is not its deltas joined: the follower starts over rather than splice the two. */
    @ParameterizedTest
    @MethodSource("stores")
    void aFinalReplyThatDiffersFromItsDeltas_restartsTheFollower(Supplier<ConversationStore> factory) throws Exception {
        StreamingReplyProvider rewording = (request, deltas) -> {
            for (String delta : new String[] {"Hello", " wor"}) {
                deltas.accept(delta);
                try {
                    Thread.sleep(150);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return Reply.of("Hello, world");
        };
        try (ConversationStore store = factory.get(); TurnService service = turns(store, rewording).build()) {
            Collected seen = new Collected();
            Future<Optional<StoredMessage>> follow = pool.submit(
                    () -> service.followTurn("s", "t1", 0, seen, Duration.ofSeconds(30)));
            TurnResult result = service.respond("s", "en", "hi", "t1");
            assertThat(follow.get(30, TimeUnit.SECONDS)).contains(result.reply());
            assertThat(seen.text.toString()).isEqualTo("Hello, world");
            assertThat(seen.restarts).hasValue(1);
        }
    }

    /** The end marker cannot be written (the store refuses the command): the follower still ends with the reply. */
    @Test
    void aMissingEndMarker_stillEndsTheFollowerWithTheStoredReply() throws Exception {
        String collection = "followNoEnd" + System.nanoTime();
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(BothStores.server().port());
                MongoClient viaProxy = MongoClients.create(proxy.clientSettings(Duration.ofSeconds(2)));
                MongoConversationStore producing = MongoConversationStore.builder().client(viaProxy).database("review")
                        .collection(collection).build();
                MongoConversationStore following = MongoConversationStore.builder()
                        .connectionString(BothStores.server().connectionString()).database("review")
                        .collection(collection).createIndexes(false).build()) {
            StreamingReplyProvider words = (request, deltas) -> {
                for (int i = 0; i < 10; i++) {
                    deltas.accept("w" + i + " ");
                }
                // the stream is over: the producer's next draft commands (the end marker) are refused
                proxy.armError(FaultInjectingProxy.error(2, "BadValue"), MongoDrafts.SUFFIX, 10);
                return Reply.of("w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 ");
            };
            try (TurnService producer = turns(producing, words).build();
                    TurnService follower = turns(following, words).build()) {
                Collected seen = new Collected();
                Future<Optional<StoredMessage>> follow = pool.submit(
                        () -> follower.followTurn("s", "t1", 0, seen, Duration.ofSeconds(60)));
                TurnResult result = producer.respond("s", "en", "go", "t1");
                assertThat(proxy.injected()).as("the end marker was refused").isPositive();
                assertThat(AbstractStreamingTurnTest.drafts(following).read("s", "t1").orElseThrow().ended()).isFalse();
                long start = System.nanoTime();
                assertThat(follow.get(30, TimeUnit.SECONDS)).contains(result.reply());
                assertThat(Duration.ofNanos(System.nanoTime() - start)).as("well before the follower's timeout")
                        .isLessThan(Duration.ofSeconds(10));
                assertThat(seen.text.toString()).isEqualTo(result.reply().text());
            }
        }
    }
}
