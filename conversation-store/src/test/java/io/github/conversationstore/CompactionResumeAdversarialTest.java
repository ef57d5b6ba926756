package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.Summarizer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Review (issue 22): a failed turn resumed by its id after later turns compacted past its user
 * message. Its window (what the model sees before the user message) must still hold the
 * conversation before it: a summary ending at or before the user message, or the messages.
 */
class CompactionResumeAdversarialTest {

    @Test
    void failedTurnResumedAfterCompactionPastIt_stillSeesTheConversationBeforeIt() {
        InMemoryConversationStore store = InMemoryConversationStore.create();
        AtomicBoolean failOnce = new AtomicBoolean(true);
        ScriptedReplyProvider model = ScriptedReplyProvider.of(request -> {
            if (request.turnId().equals("early") && failOnce.getAndSet(false)) {
                throw new ReplyProviderException("model down", false, null);
            }
            return Reply.of(Summarizer.MODE.equals(request.mode()) ? "summary" : "answer to " + request.userMessage().text());
        });
        Compaction policy = Compaction.builder().triggerTokens(100).keepTokens(40).summaryTokens(30)
                .tokenCounter(message -> 10)
                .summarizer(request -> Message.system("S[" + request.fromSequence() + "," + request.toSequence() + ")"))
                .build();
        try (TurnService turns = TurnService.builder(store).provider(model).compaction(policy)
                .replyTimeout(Duration.ofSeconds(5)).retryBackoff(Duration.ofMillis(10)).maxProviderAttempts(1).build()) {
            for (int i = 1; i <= 3; i++) {
                turns.respond("s", "en", "question " + i, "turn-" + i);
            }
            assertThatThrownBy(() -> turns.respond("s", "en", "early question", "early"))
                    .isInstanceOf(ReplyFailedException.class); // its user message is stored at 6
            for (int i = 4; i <= 12; i++) {
                turns.respond("s", "en", "question " + i, "turn-" + i);
            }
            assertThat(store.summaries("s")).isNotEmpty();
            assertThat(store.summaries("s").get(store.summaries("s").size() - 1).toSequence()).isGreaterThan(6);

            TurnResult resumed = turns.respond("s", "en", "early question", "early");

            assertThat(resumed.reply().text()).isEqualTo("answer to early question");
            ReplyRequest last = model.requests().stream().filter(r -> r.turnId().equals("early")).reduce((a, b) -> b)
                    .orElseThrow();
            List<StoredMessage> window = last.window();
            assertThat(window).as("what the model saw before the resumed turn's user message (at 6)").isNotEmpty();
            assertThat(window).allSatisfy(m -> assertThat(m.sequence()).isLessThan(6));
            // no summary ends at or before 6 here: the six messages before it, within the budget with it
            assertThat(window).extracting(StoredMessage::sequence).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        }
    }
}
