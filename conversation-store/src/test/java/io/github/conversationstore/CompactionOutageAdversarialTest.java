package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Review (issue 22, held): the database fails the summary's insert (a primary stepping down,
 * retryable, every attempt) after the reply was stored: the turn still returns its reply, nothing
 * half-written is left, and the next turn summarizes the same range.
 */
class CompactionOutageAdversarialTest extends EmbeddedMongoTestBase {

    @Test
    void summaryInsertFailing_neverFailsTheTurn_andTheNextTurnCompacts() throws Exception {
        String collection = "compactionOutage" + System.nanoTime();
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient viaProxy = proxy.client();
                MongoConversationStore store = MongoConversationStore.builder().client(viaProxy).database("review")
                        .collection(collection).maxAttempts(3).operationTimeout(Duration.ofSeconds(3)).build()) {
            Compaction policy = Compaction.builder().triggerTokens(100).keepTokens(40).summaryTokens(30)
                    .tokenCounter(message -> 10)
                    .summarizer(request -> Message.system("S[" + request.fromSequence() + "," + request.toSequence() + ")"))
                    .build();
            try (TurnService turns = TurnService.builder(store).provider(ScriptedReplyProvider.of(r -> Reply.of("ok")))
                    .compaction(policy).replyTimeout(Duration.ofSeconds(5)).retryBackoff(Duration.ofMillis(10)).build()) {
                for (int i = 1; i <= 5; i++) {
                    turns.respond("s", "en", "question " + i, "turn-" + i);
                }
                proxy.armError(FaultInjectingProxy.error(189, "PrimarySteppedDown"), "insert", 100);

                TurnResult sixth = turns.respond("s", "en", "question 6", "turn-6");

                assertThat(proxy.injected()).isPositive();
                assertThat(sixth.reply().text()).isEqualTo("ok");
                assertThat(store.summaries("s")).isEmpty();
                proxy.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, "no-such-marker", 0);

                turns.respond("s", "en", "question 7", "turn-7");

                assertThat(store.summaries("s")).extracting(s -> s.fromSequence() + "-" + s.toSequence())
                        .containsExactly("0-10");
                assertThat(store.readMessages("s", 0, 100)).hasSize(14);
            }
        }
    }
}
