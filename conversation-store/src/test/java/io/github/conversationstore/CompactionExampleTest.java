package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.Summarizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's compaction example, compiled and run against the in-memory store. */
class CompactionExampleTest {
    @Test
    void readmeCompactionExample_summarizesTheOldestMessages_andKeepsThemAll() {
        ConversationStore store = InMemoryConversationStore.create();
        for (int i = 0; i < 100; i++) { // 100 messages of about 100 tokens: over the 8,000 of the example
            store.appendMessages("s-1", "en", List.of(Message.user("message " + i + " " + "word ".repeat(78))));
        }
        ReplyProvider provider = ScriptedReplyProvider.of(request -> Summarizer.MODE.equals(request.mode())
                ? Reply.of("The user wrote " + request.window().size() + " long messages.") : Reply.of("Here we were."));
        java.util.List<String> printed = new java.util.ArrayList<>();

        // --- compaction ---
        Compaction compaction = Compaction.builder()
                .triggerTokens(8_000)   // summarize when the newest summary and what follows pass this
                .keepTokens(3_000)      // the newest messages stay as they are
                .summaryTokens(1_000)   // the longest summary stored
                .build();               // summaries written by the service's own provider
        try (TurnService turns = TurnService.builder(store).provider(provider).compaction(compaction).build()) {
            turns.respond("s-1", "en", "Where were we?");   // the provider sees summary + newest messages
        }
        ContextWindow window = store.contextWindow("s-1", 8_000);   // the same window, tokens per message
        window.summary().ifPresent(s -> printed.add("summary of [" + s.fromSequence() + ", " + s.toSequence() + ")"));
        List<StoredMessage> everything = store.readMessages("s-1", 0, 1_000);   // nothing was deleted
        // --- end compaction ---

        assertThat(printed).singleElement().asString().startsWith("summary of [0, ");
        assertThat(window.tokens()).isLessThanOrEqualTo(8_000);
        assertThat(window.summary().orElseThrow().toSequence()).isGreaterThan(60);
        assertThat(everything).hasSize(102);
    }
}
