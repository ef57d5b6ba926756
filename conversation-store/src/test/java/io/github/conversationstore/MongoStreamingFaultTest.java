package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.AbstractStreamingTurnTest.Collected;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.StreamingReplyProvider;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.FaultInjectingProxy;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A streaming turn whose store commands lose their replies (the fault proxy forwards the command,
 * the server applies it, the reply never comes back): a draft write's, and the final reply's
 * append. The producer writes through the proxy; a follower in another process reads directly.
 */
class MongoStreamingFaultTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    /** 40 words, a few ms apart; after {@code armAt} words (or when done, for -1) the proxy drops one reply. */
    private static StreamingReplyProvider words(FaultInjectingProxy proxy, int armAt, String marker) {
        return (request, deltas) -> {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < 40; i++) {
                if (i == armAt) {
                    proxy.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, marker, 1);
                }
                String word = "w" + i + " ";
                all.append(word);
                deltas.accept(word);
                try {
                    Thread.sleep(3);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            if (armAt == -1) {
                // the stream is over: the next command naming the reply's step id is its append
                proxy.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, marker, 1);
            }
            return Reply.of(all.toString());
        };
    }

    private static String expected() {
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            all.append("w").append(i).append(' ');
        }
        return all.toString();
    }

    @Test
    void aDraftWriteWhoseReplyIsLost_leavesTheStreamGoing_withOneReply_andTheFollowerWhole() throws Exception {
        run(10, MongoDrafts.SUFFIX);
    }

    @Test
    void theFinalAppendWhoseReplyIsLost_storesTheReplyOnce() throws Exception {
        run(-1, StepIds.reply("t1"));
    }

    private void run(int armAt, String marker) throws Exception {
        String collection = "streamfault" + System.nanoTime();
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(SERVER.port());
                MongoClient viaProxy = MongoClients.create(proxy.clientSettings(Duration.ofSeconds(2)));
                MongoConversationStore producing = MongoConversationStore.builder().client(viaProxy).database("faults")
                        .collection(collection).build();
                MongoConversationStore following = MongoConversationStore.builder()
                        .connectionString(SERVER.connectionString()).database("faults").collection(collection)
                        .createIndexes(false).build();
                TurnService producer = TurnService.builder(producing).provider(words(proxy, armAt, marker))
                        .draftInterval(Duration.ofMillis(10)).retryBackoff(Duration.ofMillis(10)).build();
                TurnService follower = TurnService.builder(following).provider(words(proxy, 99, marker)).build()) {
            Collected seen = new Collected();
            Future<Optional<StoredMessage>> follow = pool.submit(
                    () -> follower.followTurn("s", "t1", 0, seen, Duration.ofSeconds(30)));
            TurnResult result;
            try {
                result = producer.respond("s", "en", "go", "t1");
            } catch (ConversationStoreException lost) {
                // the store gave up on the command: the turn's retry finds what was applied
                result = producer.respond("s", "en", "go", "t1");
                assertThat(result.replayed()).isTrue();
            }
            assertThat(proxy.injected()).as("the fault was injected").isEqualTo(1);
            assertThat(result.reply().text()).isEqualTo(expected());
            assertThat(follow.get(30, TimeUnit.SECONDS)).contains(result.reply());
            assertThat(seen.text.toString()).isEqualTo(expected());
            assertThat(following.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("go", expected());
        }
    }
}
