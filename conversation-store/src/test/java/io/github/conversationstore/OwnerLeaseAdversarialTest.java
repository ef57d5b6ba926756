package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.StreamingReplyProvider;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Adversarial: while a turn of one owner holds the conversation's lease, another process appends
 * (directly, and through a turn) naming another owner: refused with {@link OwnerMismatchException},
 * nothing written, and the first owner's turn completes. The direct append is refused at once; the
 * other owner's turn waits for the lease like any turn of the session, then is refused.
 */
class OwnerLeaseAdversarialTest extends EmbeddedMongoTestBase {
    private static final Owner ANA = Owner.of("acme", "ana");
    private static final Owner BEN = Owner.of("acme", "ben");

    @Test
    void anAppendNamingAnotherOwnerDuringAHeldTurn_isRefusedAndWritesNothing() throws Exception {
        String collection = "lease_" + System.nanoTime();
        CountDownLatch inModel = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        StreamingReplyProvider slow = (request, deltas) -> {
            inModel.countDown();
            try {
                assertThat(release.await(20, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            deltas.accept("ana's ");
            return Reply.of("ana's reply");
        };
        StreamingReplyProvider quick = (request, deltas) -> Reply.of("ben's reply");
        try (MongoConversationStore first = MongoConversationStore.builder().client(client).database("owner_lease")
                        .collection(collection).build();
                MongoConversationStore second = MongoConversationStore.builder().client(client).database("owner_lease")
                        .collection(collection).createIndexes(false).build();
                TurnService anaTurns = TurnService.builder(first).provider(slow).build();
                TurnService benTurns = TurnService.builder(second).provider(quick).build()) {
            first.appendMessages(AppendRequest.builder("s1", "en").owner(ANA).messages(Message.user("earlier")).build());
            CompletableFuture<TurnResult> held = CompletableFuture.supplyAsync(
                    () -> anaTurns.respond(new TurnRequest("s1", "en", "hi", "t1").withOwner(ANA)));
            assertThat(inModel.await(20, TimeUnit.SECONDS)).isTrue();
            long before = second.readMessages("s1", 0, 100).size();

            assertThatThrownBy(() -> second.appendMessages(AppendRequest.builder("s1", "en").owner(BEN)
                    .messages(Message.user("ben's message")).build())).isInstanceOf(OwnerMismatchException.class);
            // a turn naming the other owner waits for the lease like any turn, then is refused
            CompletableFuture<TurnResult> benTurn = CompletableFuture.supplyAsync(
                    () -> benTurns.respond(new TurnRequest("s1", "en", "ben's turn", "t2").withOwner(BEN)));
            Thread.sleep(500);
            assertThat(second.readMessages("s1", 0, 100)).hasSize((int) before)
                    .noneMatch(m -> m.text().startsWith("ben"));
            release.countDown();
            TurnResult result = held.get(30, TimeUnit.SECONDS);
            assertThatThrownBy(() -> benTurn.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(OwnerMismatchException.class);
            assertThat(result.reply().text()).isEqualTo("ana's reply");
            assertThat(first.readMessages("s1", 0, 100)).extracting(StoredMessage::text)
                    .containsExactly("earlier", "hi", "ana's reply");
            assertThat(first.findConversation("s1").orElseThrow().owner()).isEqualTo(ANA);
            assertThat(first.listConversations(BEN, null, 10)).isEmpty();
            assertThat(second.drafts().read("s1", "t2")).as("no draft of the refused turn").isEmpty();
        } finally {
            release.countDown();
        }
    }
}
