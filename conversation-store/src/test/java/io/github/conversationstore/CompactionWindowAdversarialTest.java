package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.TokenCounter;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Review (issue 22): what a compacting turn sends the model. Compaction's javadoc: "each turn's
 * window is the token window of triggerTokens (the user message and the turn's steps counted in
 * it)". A tool turn's steps are stored after the window was read.
 */
class CompactionWindowAdversarialTest {
    private static final TokenCounter COUNTER = TokenCounter.approximate();

    private static long tokens(ReplyRequest request) {
        long total = COUNTER.count(request.userMessage());
        for (StoredMessage m : request.window()) {
            total += COUNTER.count(m.message());
        }
        for (StoredMessage m : request.steps()) {
            total += COUNTER.count(m.message());
        }
        return total;
    }

    @Test
    void everyRequestOfAToolTurn_windowUserMessageAndSteps_staysWithinTheTrigger() {
        InMemoryConversationStore store = InMemoryConversationStore.create();
        for (int i = 0; i < 30; i++) {
            store.appendMessages("s", "en", List.of(Message.user("earlier message " + i + " " + "w".repeat(90))));
        }
        ScriptedReplyProvider model = ScriptedReplyProvider.of(request -> request.steps().isEmpty()
                ? Reply.of(new Part.ToolCall("c1", "lookup", "{}"))
                : Reply.of("done"));
        Tool lookup = Tool.of(new ToolSpec("lookup", "Looks something up.", "{\"type\":\"object\"}"),
                call -> ToolOutput.text("r".repeat(2_400)));
        Compaction policy = Compaction.builder().triggerTokens(1_000).keepTokens(300).summaryTokens(200)
                .tokenCounter(COUNTER).summarizer(request -> Message.system("short summary")).build();
        try (TurnService turns = TurnService.builder(store).provider(model).tools(lookup).compaction(policy)
                .replyTimeout(Duration.ofSeconds(5)).build()) {
            TurnResult result = turns.respond("s", "en", "please look it up", "turn-1");
            assertThat(result.reply().text()).isEqualTo("done");
        }
        assertThat(model.requests()).hasSize(2);
        assertThat(model.requests()).allSatisfy(request -> assertThat(tokens(request))
                .as("tokens of window + user message + steps, steps %d", request.steps().size())
                .isLessThanOrEqualTo(1_000));
    }
}
