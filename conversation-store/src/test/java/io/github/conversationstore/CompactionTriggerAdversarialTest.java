package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.SummaryRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Review (issue 22): when compaction asks the summarizer, and the policy's rules.
 */
class CompactionTriggerAdversarialTest {

    private static TurnService service(ConversationStore store, Compaction policy) {
        return TurnService.builder(store).provider(ScriptedReplyProvider.of(request -> Reply.of("ok"))).compaction(policy)
                .replyTimeout(Duration.ofSeconds(5)).build();
    }

    /**
     * 300 messages of one token each, never summarized, against a trigger of 1,000 tokens: the
     * conversation is far below the trigger, so no summary is due (README: "the turn checks whether
     * the newest summary and the messages after it pass triggerTokens; if so it asks the
     * Summarizer"). More than 256 unsummarized messages made compaction summarize anyway, and then
     * again at every turn, a message or two at a time: a model call per turn that was never due
     * (fixed: the messages between the summary's end and the tail read are counted, forward, until
     * they pass the budget).
     */
    @Test
    void moreThan256MessagesBelowTheTrigger_areNotSummarized() {
        InMemoryConversationStore store = InMemoryConversationStore.create();
        for (int i = 0; i < 300; i++) {
            store.appendMessages("s", "en", List.of(Message.user("m" + i)));
        }
        List<SummaryRequest> asked = new CopyOnWriteArrayList<>();
        Compaction policy = Compaction.builder().triggerTokens(1_000).keepTokens(400).summaryTokens(100)
                .tokenCounter(message -> 1)
                .summarizer(request -> {
                    asked.add(request);
                    return Message.system("summary");
                })
                .build();
        try (TurnService turns = service(store, policy)) {
            assertThat(turns.compact("s")).isEmpty();
            for (int i = 0; i < 3; i++) {
                turns.respond("s", "en", "more " + i);
            }
        }
        assertThat(asked).as("summarizer calls for a conversation of %d tokens against a trigger of 1000",
                store.readMessages("s", 0, 1000).size()).isEmpty();
        assertThat(store.summaries("s")).isEmpty();
    }

    /** The other side of the fix: more than 256 messages that do pass the trigger are summarized. */
    @Test
    void moreThan256MessagesAboveTheTrigger_areSummarized_keepingTheNewest() {
        InMemoryConversationStore store = InMemoryConversationStore.create();
        for (int i = 0; i < 300; i++) {
            store.appendMessages("s", "en", List.of(Message.user("m" + i)));
        }
        Compaction policy = Compaction.builder().triggerTokens(280).keepTokens(100).summaryTokens(50)
                .tokenCounter(message -> 1).summarizer(request -> Message.system("summary")).build();
        try (TurnService turns = service(store, policy)) {
            assertThat(turns.compact("s")).map(s -> s.fromSequence() + "-" + s.toSequence()).contains("0-200");
        }
    }

    /** The control: 200 such messages (fewer than 256) are, rightly, not summarized. */
    @Test
    void fewerThan256MessagesBelowTheTrigger_areNotSummarized() {
        InMemoryConversationStore store = InMemoryConversationStore.create();
        for (int i = 0; i < 200; i++) {
            store.appendMessages("s", "en", List.of(Message.user("m" + i)));
        }
        List<SummaryRequest> asked = new CopyOnWriteArrayList<>();
        Compaction policy = Compaction.builder().triggerTokens(1_000).keepTokens(400).summaryTokens(100)
                .tokenCounter(message -> 1).summarizer(request -> {
                    asked.add(request);
                    return Message.system("summary");
                }).build();
        try (TurnService turns = service(store, policy)) {
            assertThat(turns.compact("s")).isEmpty();
            turns.respond("s", "en", "more");
        }
        assertThat(asked).isEmpty();
    }

    /** Held: the builder's rules name the argument and the rule, and a refused value changes nothing. */
    @Test
    void builderRules_nameTheArgument_andARefusedValueLeavesTheBuilderAsItWas() {
        Compaction.Builder builder = Compaction.builder().triggerTokens(100).keepTokens(40).summaryTokens(30);
        assertThatThrownBy(() -> builder.triggerTokens(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("triggerTokens");
        assertThatThrownBy(() -> builder.keepTokens(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keepTokens");
        assertThatThrownBy(() -> builder.summaryTokens(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("summaryTokens");
        assertThatThrownBy(() -> builder.timeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout");
        assertThatThrownBy(() -> builder.timeout(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.summarizer(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("summarizer");
        assertThatThrownBy(() -> builder.tokenCounter(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("tokenCounter");
        Compaction built = builder.build();
        assertThat(built.triggerTokens()).isEqualTo(100);
        assertThat(built.keepTokens()).isEqualTo(40);
        assertThat(built.summaryTokens()).isEqualTo(30);
        // keep + summary must stay below the trigger, even where the sum overflows an int
        assertThatThrownBy(() -> Compaction.builder().triggerTokens(70).keepTokens(40).summaryTokens(30).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("triggerTokens");
        assertThatThrownBy(() -> Compaction.builder().triggerTokens(Integer.MAX_VALUE).keepTokens(Integer.MAX_VALUE)
                .summaryTokens(Integer.MAX_VALUE).build()).isInstanceOf(IllegalStateException.class);
    }
}
