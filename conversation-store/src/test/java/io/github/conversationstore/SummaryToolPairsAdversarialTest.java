package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.Summarizer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Review (issue 22): what the default summarizer sends the model. A turn that failed after its
 * tool call was stored leaves a call with no result (ToolPairs: windows leave it out, since model
 * APIs refuse a conversation in which a tool call is not answered). A range to summarize can hold
 * such a call.
 */
class SummaryToolPairsAdversarialTest {

    @Test
    void summarizerUsingAProvider_neverSendsADanglingToolCall() {
        InMemoryConversationStore store = InMemoryConversationStore.create();
        store.appendMessages("s", "en", List.of(Message.user("book a lesson")));
        // the turn failed after storing its tool call: no result follows
        store.appendMessages("s", "en", List.of(Message.of(Role.ASSISTANT, new Part.Text("Booking."),
                new Part.ToolCall("dangling", "book_lesson", "{}"))));
        for (int i = 0; i < 10; i++) {
            store.appendMessages("s", "en", List.of(Message.user("later " + i), Message.assistant("ok " + i)));
        }
        ScriptedReplyProvider model = ScriptedReplyProvider.of(request -> Reply.of(
                Summarizer.MODE.equals(request.mode()) ? "a summary" : "ok"));
        Compaction policy = Compaction.builder().triggerTokens(100).keepTokens(40).summaryTokens(30)
                .tokenCounter(message -> 5).build(); // written by the model, through Summarizer.using
        try (TurnService turns = TurnService.builder(store).provider(model).compaction(policy)
                .replyTimeout(Duration.ofSeconds(5)).build()) {
            assertThat(turns.compact("s")).isPresent();
        }
        List<ReplyRequest> summaries = model.requests().stream().filter(r -> Summarizer.MODE.equals(r.mode())).toList();
        assertThat(summaries).isNotEmpty();
        for (ReplyRequest request : summaries) {
            assertThat(request.window()).as("the summarizer's window").isEqualTo(ToolPairs.keepWhole(request.window()));
            assertThat(request.window()).flatExtracting(m -> m.message().toolCalls()).isEmpty();
            assertThat(request.window()).extracting(StoredMessage::text).contains("Booking.");
        }
    }
}
