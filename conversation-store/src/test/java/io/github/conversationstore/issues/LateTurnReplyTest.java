package io.github.conversationstore.issues;

import io.github.conversationstore.testing.ForwardingConversationStore;

import io.github.conversationstore.testing.CommandHooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationBusyException;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.ScriptedReplyProvider;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.TurnResult;
import io.github.conversationstore.TurnService;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 5: a turn's reply was appended after a separate lease check, so a holder whose
 * append was delayed past its lease (a GC pause, an election, a slow network) stored its reply
 * after the next turn's messages. The append is now fenced by the lease in the same atomic update.
 */
class LateTurnReplyTest extends EmbeddedMongoTestBase {

    /** A store whose first reply append waits (a pause between the lease check and the write). */
    private static final class PausingStore extends ForwardingConversationStore {
        private final CountDownLatch paused = new CountDownLatch(1);
        private final CountDownLatch resume = new CountDownLatch(1);

        PausingStore(ConversationStore delegate) {
            super(delegate);
        }

        @Override
        public AppendResult appendMessages(AppendRequest request) {
            if (request.appendId().equals("turn-1:reply") && paused.getCount() > 0) {
                paused.countDown();
                try {
                    resume.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return delegate.appendMessages(request);
        }
    }

    @Test
    void replyDelayedPastItsLease_isRefusedAndNeverStoredAfterTheNextTurn() throws Exception {
        String collection = "turns" + System.nanoTime();
        try (MongoConversationStore mongo = MongoConversationStore.builder().client(client).database("issues")
                        .collection(collection).build();
                PausingStore pausing = new PausingStore(mongo);
                TurnService slow = TurnService.builder(pausing).provider(ScriptedReplyProvider.echo())
                        .replyTimeout(Duration.ofMillis(100)).leaseDuration(Duration.ofMillis(300)).build();
                TurnService next = TurnService.builder(mongo).provider(ScriptedReplyProvider.echo())
                        .replyTimeout(Duration.ofMillis(100)).leaseDuration(Duration.ofMillis(300)).build()) {
            CompletableFuture<TurnResult> turn1 = CompletableFuture.supplyAsync(
                    () -> slow.respond("s", "en", "question 1", "turn-1"));
            assertThat(pausing.paused.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(400); // turn 1's lease expires while its reply is on the way

            next.respond("s", "en", "question 2", "turn-2");
            pausing.resume.countDown();

            assertThatThrownBy(turn1::join).hasCauseInstanceOf(ConversationBusyException.class);
            assertThat(mongo.readMessages("s", 0, 10)).extracting(StoredMessage::text)
                    .containsExactly("question 1", "question 2", "echo: question 2");

            // retried by its turn id, turn 1 completes without storing its question twice
            TurnResult retried = slow.respond("s", "en", "question 1", "turn-1");
            assertThat(retried.reply().text()).isEqualTo("echo: question 1");
            assertThat(mongo.readMessages("s", 0, 10)).extracting(StoredMessage::text)
                    .containsExactly("question 1", "question 2", "echo: question 2", "echo: question 1");
        }
    }
}
