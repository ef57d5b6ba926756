package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Summaries (issue 22): mixed into the contract suite, so it runs on the in-memory store, the
 * embedded server, tiny heads and real servers.
 */
interface SummaryContract {

    /** The store under test, fresh for each test. */
    ConversationStore store();

    private void appendPairs(String sessionId, int pairs) {
        for (int i = 0; i < pairs; i++) {
            store().appendMessages(sessionId, "en", List.of(Message.user("question " + i), Message.assistant("answer " + i)));
        }
    }

    @Test
    default void writeSummary_storesAnImmutableRecord_andKeepsEveryMessage() {
        appendPairs("s1", 5);
        Message content = new Message("sum-1", Role.SYSTEM, List.of(new Part.Text("They asked five questions.")),
                java.time.Instant.parse("2026-01-01T00:00:00Z"), Map.of(), Map.of(Message.MODEL, "test-model"));
        Summary written = store().writeSummary("s1", new Summary(0, 6, content, 7));

        assertThat(written.toSequence()).isEqualTo(6);
        List<Summary> summaries = store().summaries("s1");
        assertThat(summaries).hasSize(1);
        Summary stored = summaries.get(0);
        assertThat(stored.fromSequence()).isZero();
        assertThat(stored.toSequence()).isEqualTo(6);
        assertThat(stored.tokenCount()).isEqualTo(7);
        assertThat(stored.message().text()).isEqualTo("They asked five questions.");
        assertThat(stored.message().metadata()).containsEntry(Message.MODEL, "test-model");
        assertThat(store().readMessages("s1", 0, 100)).hasSize(10);
    }

    @Test
    default void writeSummary_twice_storesItOnce_andReturnsTheFirst() {
        appendPairs("s2", 3);
        Summary first = store().writeSummary("s2", Summary.of(0, 4, "first writer", 3));
        Summary second = store().writeSummary("s2", Summary.of(0, 4, "second writer", 3));

        assertThat(second.message().text()).isEqualTo(first.message().text()).isEqualTo("first writer");
        assertThat(store().summaries("s2")).hasSize(1);
    }

    @Test
    default void writeSummary_concurrentWritersOfOneRange_storeOne() throws Exception {
        appendPairs("s3", 4);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Summary>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String text = "writer " + i;
                results.add(pool.submit(() -> store().writeSummary("s3", Summary.of(0, 6, text, 2))));
            }
            List<String> seen = new ArrayList<>();
            for (Future<Summary> f : results) {
                seen.add(f.get().message().text());
            }
            assertThat(store().summaries("s3")).hasSize(1);
            assertThat(seen).containsOnly(store().summaries("s3").get(0).message().text());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    default void writeSummary_afterTheNewest_orFromZero_isAccepted_andReadInRangeOrder() {
        appendPairs("s4", 6);
        store().writeSummary("s4", Summary.of(0, 4, "a", 1));
        store().writeSummary("s4", Summary.of(4, 8, "b built on a", 1));
        store().writeSummary("s4", Summary.of(0, 10, "c from the start", 1));

        assertThat(store().summaries("s4")).extracting(s -> s.fromSequence() + "-" + s.toSequence())
                .containsExactly("0-4", "0-10", "4-8");
    }

    @Test
    default void writeSummary_beyondTheStoredMessages_isRefused_andWritesNothing() {
        appendPairs("s5", 2);
        assertThatThrownBy(() -> store().writeSummary("s5", Summary.of(0, 5, "too far", 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("summary range [0, 5)").hasMessageContaining("beyond the 4 messages");
        assertThat(store().summaries("s5")).isEmpty();
    }

    @Test
    default void writeSummary_overlappingDifferently_isRefused_andWritesNothing() {
        appendPairs("s6", 5);
        store().writeSummary("s6", Summary.of(0, 6, "first", 1));
        assertThatThrownBy(() -> store().writeSummary("s6", Summary.of(2, 8, "overlaps", 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps");
        assertThatThrownBy(() -> store().writeSummary("s6", Summary.of(0, 4, "inside", 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps");
        assertThatThrownBy(() -> store().writeSummary("s6", Summary.of(7, 9, "leaves a gap", 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps");
        assertThat(store().summaries("s6")).extracting(s -> s.message().text()).containsExactly("first");
    }

    @Test
    default void writeSummary_ofAnUnknownSession_isRefused() {
        assertThatThrownBy(() -> store().writeSummary("nobody", Summary.of(0, 1, "x", 1)))
                .isInstanceOf(NoSuchElementException.class).hasMessageContaining("nobody");
        assertThat(store().summaries("nobody")).isEmpty();
    }

    @Test
    default void summary_badRange_isRefusedByItsConstructor() {
        assertThatThrownBy(() -> Summary.of(3, 3, "empty", 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("toSequence");
        assertThatThrownBy(() -> Summary.of(-1, 3, "negative", 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fromSequence");
        assertThatThrownBy(() -> Summary.of(0, 3, "negative tokens", -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokenCount");
    }

    @Test
    default void deleteConversation_removesItsSummaries_andANewLifeStartsWithNone() {
        appendPairs("s7", 3);
        store().writeSummary("s7", Summary.of(0, 6, "old life", 1));
        store().deleteConversation("s7");
        assertThat(store().summaries("s7")).isEmpty();

        appendPairs("s7", 1);
        assertThat(store().summaries("s7")).isEmpty();
        store().writeSummary("s7", Summary.of(0, 2, "new life", 1));
        assertThat(store().summaries("s7")).extracting(s -> s.message().text()).containsExactly("new life");
    }

    /** Counts one token per message: makes budgets in tests exact. */
    io.github.conversationstore.spi.TokenCounter ONE_EACH = message -> 1;

    @Test
    default void contextWindow_takesTheNewestSummaryThatFits_andTheMessagesAfterIt() {
        appendPairs("w1", 10);
        store().writeSummary("w1", Summary.of(0, 8, "small", 2));
        store().writeSummary("w1", Summary.of(0, 14, "too big", 50));

        ContextWindow window = store().contextWindow("w1", 10, ONE_EACH);

        assertThat(window.summary()).map(Summary::toSequence).contains(8L);
        assertThat(window.messages()).extracting(c -> c.message().sequence()).containsExactly(12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L);
        assertThat(window.messages()).allSatisfy(c -> assertThat(c.tokens()).isEqualTo(1));
        assertThat(window.tokens()).isEqualTo(10).isLessThanOrEqualTo(window.budget());
    }

    @Test
    default void contextWindow_neverRepeatsWhatTheSummaryCovers() {
        appendPairs("w2", 3);
        store().writeSummary("w2", Summary.of(0, 4, "first two pairs", 3));

        ContextWindow window = store().contextWindow("w2", 1000, ONE_EACH);

        assertThat(window.summary()).isPresent();
        assertThat(window.storedMessages()).extracting(StoredMessage::sequence).containsExactly(4L, 5L);
        assertThat(store().readMessages("w2", 0, 100)).hasSize(6);
    }

    @Test
    default void contextWindow_withoutSummaries_isTheNewestMessagesWithinTheBudget_byTheDefaultCounter() {
        appendPairs("w3", 50);
        ContextWindow window = store().contextWindow("w3", 60);

        assertThat(window.summary()).isEmpty();
        assertThat(window.tokens()).isPositive().isLessThanOrEqualTo(60);
        assertThat(window.storedMessages()).isNotEmpty();
        assertThat(window.storedMessages().get(window.storedMessages().size() - 1).sequence()).isEqualTo(99L);
        for (ContextWindow.Counted c : window.messages()) {
            assertThat(c.tokens()).isEqualTo(io.github.conversationstore.spi.TokenCounter.approximate().count(c.message().message()));
        }
    }

    @Test
    default void contextWindow_keepsAToolCallWithItsResults_orLeavesBothOut() {
        store().appendMessages("w4", "en", List.of(Message.user("weather?")));
        store().appendMessages("w4", "en", List.of(
                Message.of(Role.ASSISTANT, new Part.ToolCall("c1", "weather", "{}"), new Part.ToolCall("c2", "time", "{}")),
                Message.tool(new Part.ToolResult("c1", "weather", "sunny", false, false)),
                Message.tool(new Part.ToolResult("c2", "time", "noon", false, false))));
        store().appendMessages("w4", "en", List.of(Message.assistant("It is sunny.")));

        assertThat(store().contextWindow("w4", 2, ONE_EACH).storedMessages()).extracting(StoredMessage::sequence)
                .containsExactly(4L); // the exchange (3 messages) does not fit in what is left: none of it
        assertThat(store().contextWindow("w4", 4, ONE_EACH).storedMessages()).extracting(StoredMessage::sequence)
                .containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    default void contextWindow_badBudget_isRefused() {
        appendPairs("w5", 1);
        assertThatThrownBy(() -> store().contextWindow("w5", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("budget");
        assertThatThrownBy(() -> store().contextWindow("w5", -3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("budget");
    }

    @Test
    default void tokenCounter_approximate_countsCjkPerCharacterAndOtherTextPerFourBytes() {
        assertThat(io.github.conversationstore.spi.TokenCounter.approximate("abcdefgh")).isEqualTo(2);
        assertThat(io.github.conversationstore.spi.TokenCounter.approximate("abcde")).isEqualTo(2);
        assertThat(io.github.conversationstore.spi.TokenCounter.approximate("日本語")).isEqualTo(3);
        assertThat(io.github.conversationstore.spi.TokenCounter.approximate("")).isZero();
        assertThat(io.github.conversationstore.spi.TokenCounter.approximate().count(Message.user("abcd"))).isEqualTo(5);
    }

    @Test
    default void writeSummary_endingInsideAToolExchange_isRefused_nothingWritten() {
        store().appendMessages("w6", "en", List.of(Message.user("weather?")));
        store().appendMessages("w6", "en", List.of(
                Message.of(Role.ASSISTANT, new Part.ToolCall("c1", "weather", "{}"), new Part.ToolCall("c2", "time", "{}")),
                Message.tool(new Part.ToolResult("c1", "weather", "sunny", false, false)),
                Message.tool(new Part.ToolResult("c2", "time", "noon", false, false))));
        store().appendMessages("w6", "en", List.of(Message.assistant("It is sunny at noon.")));

        for (long inside : new long[] {2, 3}) {
            assertThatThrownBy(() -> store().writeSummary("w6", Summary.of(0, inside, "cut", 1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ends inside a tool exchange")
                    .hasMessageContaining("[0, " + inside + ")");
        }
        assertThat(store().summaries("w6")).isEmpty();
        assertThat(store().writeSummary("w6", Summary.of(0, 1, "before the call", 1)).toSequence()).isEqualTo(1);
        assertThat(store().writeSummary("w6", Summary.of(1, 4, "after the results", 1)).toSequence()).isEqualTo(4);
        assertThat(store().writeSummary("w6", Summary.of(4, 5, "to the end", 1)).toSequence()).isEqualTo(5);
    }
}
