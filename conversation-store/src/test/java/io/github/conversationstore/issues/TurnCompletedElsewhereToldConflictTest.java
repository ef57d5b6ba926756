package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.AppendConflictException;
import io.github.conversationstore.LeaseLostException;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.TurnResult;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.StoreListener;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, item 3, at the turn service: process A pauses after its provider answered, longer than
 * its lease (a GC pause); process B resumes the same turn id, takes the expired lease and completes
 * the turn. A's reply is then refused as a stale holder's ({@link LeaseLostException}, retryable),
 * never {@link AppendConflictException} (which the chat server answered 409 "turnId was used before
 * with other text"), and A's retry of the turn returns the turn B completed.
 */
class TurnCompletedElsewhereToldConflictTest extends EmbeddedMongoTestBase {
    private static final Duration LEASE = Duration.ofSeconds(2);

    @Test
    void staleHolder_ofATurnCompletedElsewhere_getsLeaseLost_andItsRetryReturnsTheCompletedTurn() throws Exception {
        String collection = "c" + System.nanoTime();
        CountDownLatch bCompleted = new CountDownLatch(1);
        CountDownLatch aAnswered = new CountDownLatch(1);
        ReplyProvider modelInA = request -> Reply.of("A's answer");
        StoreListener pauseInA = new StoreListener() {
            @Override
            public void onProviderCall(ProviderCall event) {
                aAnswered.countDown();
                try {
                    bCompleted.await(10, TimeUnit.SECONDS); // a pause past A's lease, until B is done
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        ReplyProvider quickInB = request -> Reply.of("B's answer");
        try (MongoClient other = MongoClients.create(server.connectionString());
                MongoConversationStore storeA = MongoConversationStore.builder().client(client).database("issues")
                        .collection(collection).build();
                MongoConversationStore storeB = MongoConversationStore.builder().client(other).database("issues")
                        .collection(collection).build();
                TurnService a = TurnService.builder(storeA).provider(modelInA).leaseDuration(LEASE)
                        .replyTimeout(LEASE.dividedBy(2)).listener(pauseInA).build();
                TurnService b = TurnService.builder(storeB).provider(quickInB).leaseDuration(LEASE)
                        .replyTimeout(LEASE.dividedBy(2)).busyTimeout(Duration.ofSeconds(20)).build()) {
            CompletableFuture<TurnResult> inA = CompletableFuture.supplyAsync(() -> a.respond("s", "en", "hi", "t1"));
            assertThat(aAnswered.await(10, TimeUnit.SECONDS)).isTrue(); // A has its answer, then pauses
            TurnResult completedByB = b.respond("s", "en", "hi", "t1");
            bCompleted.countDown();

            assertThatThrownBy(inA::join).hasCauseInstanceOf(LeaseLostException.class);
            TurnResult retriedInA = a.respond("s", "en", "hi", "t1");

            assertThat(completedByB.reply().message().text()).isEqualTo("B's answer");
            assertThat(retriedInA.replayed()).isTrue();
            assertThat(retriedInA.reply().message().text()).isEqualTo("B's answer");
            assertThat(storeA.readMessages("s", 0, 10)).extracting(StoredMessage::sequence).containsExactly(0L, 1L);
        }
    }
}
