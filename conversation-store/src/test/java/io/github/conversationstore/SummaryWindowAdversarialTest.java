package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.spi.TokenCounter;
import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Review (issue 22): token windows at their edges (attacks that held): budgets of 1, a single
 * message larger than the budget, summaries larger than the budget, CJK text, tool exchanges at
 * every position of the budget's edge, and the commands a window sends when a summary is recent.
 */
class SummaryWindowAdversarialTest extends EmbeddedMongoTestBase {

    private static ConversationStore store(String kind) {
        return kind.equals("memory") ? InMemoryConversationStore.create()
                : MongoConversationStore.builder().client(client).database("review")
                        .collection("window" + System.nanoTime()).maxHeadMessages(8).build();
    }

    /** No call without all its results, no result without its call, nothing over the budget. */
    private static void assertSound(ContextWindow window, TokenCounter counter) {
        assertThat(window.tokens()).isLessThanOrEqualTo(window.budget());
        long counted = window.summary().map(Summary::tokenCount).orElse(0);
        for (ContextWindow.Counted c : window.messages()) {
            assertThat(c.tokens()).isEqualTo(counter.count(c.message().message()));
            counted += c.tokens();
        }
        assertThat(counted).isEqualTo(window.tokens());
        Set<String> called = new HashSet<>();
        Set<String> answered = new HashSet<>();
        List<StoredMessage> messages = window.storedMessages();
        for (int i = 0; i < messages.size(); i++) {
            if (i > 0) {
                assertThat(messages.get(i).sequence()).isGreaterThan(messages.get(i - 1).sequence());
            }
            messages.get(i).message().toolCalls().forEach(call -> called.add(call.callId()));
            messages.get(i).message().toolResults().forEach(result -> answered.add(result.callId()));
        }
        assertThat(answered).as("results whose call is in the window").isEqualTo(called);
        window.summary().ifPresent(s -> assertThat(messages).allSatisfy(m -> assertThat(m.sequence())
                .isGreaterThanOrEqualTo(s.toSequence())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "mongo"})
    void everyBudgetFrom1Up_holdsWholeExchanges_andStaysWithinTheBudget(String kind) {
        try (ConversationStore store = store(kind)) {
            for (int i = 0; i < 6; i++) {
                store.appendMessages("s", "zh", List.of(Message.user("天気はどうですか " + i)));
                store.appendMessages("s", "zh", List.of(
                        Message.of(Role.ASSISTANT, new Part.Text("调查"), new Part.ToolCall("a" + i, "weather", "{\"城市\":\"東京\"}"),
                                new Part.ToolCall("b" + i, "time", "{}")),
                        Message.tool(Part.ToolResult.text("a" + i, "weather", "晴れ")),
                        Message.tool(Part.ToolResult.text("b" + i, "time", "正午"))));
                store.appendMessages("s", "zh", List.of(Message.assistant("今日は晴れです。" + "長".repeat(i * 7))));
            }
            store.writeSummary("s", Summary.of(0, 10, "概要", 3));
            TokenCounter counter = TokenCounter.approximate();
            for (int budget = 1; budget <= 260; budget++) {
                ContextWindow window = store.contextWindow("s", budget);
                assertSound(window, counter);
                if (budget < 3) {
                    assertThat(window.summary()).isEmpty();
                }
            }
            assertThat(store.contextWindow("s", 1).messages()).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "mongo"})
    void aSingleMessageOverTheBudget_andASummaryOverTheBudget_areLeftOut(String kind) {
        try (ConversationStore store = store(kind)) {
            store.appendMessages("s", "en", List.of(Message.user("small")));
            store.appendMessages("s", "en", List.of(Message.user("x".repeat(60_000))));
            store.writeSummary("s", Summary.of(0, 1, "huge summary", 5_000));

            ContextWindow window = store.contextWindow("s", 1_000);

            assertThat(window.summary()).isEmpty();
            assertThat(window.messages()).isEmpty(); // the newest is over the budget: nothing older is taken past it
            assertSound(window, TokenCounter.approximate());
            ContextWindow big = store.contextWindow("s", 200_000);
            assertThat(big.summary()).map(Summary::tokenCount).contains(5_000);
            assertThat(big.storedMessages()).extracting(StoredMessage::sequence).containsExactly(1L);
            assertSound(big, TokenCounter.approximate());
        }
    }

    /** The commands of a window right after a recent summary do not grow with the history before it. */
    @Test
    void mongo_windowAfterARecentSummary_sendsTheSameCommands_at100To5000Messages() {
        List<Integer> commands = new ArrayList<>();
        List<Integer> all = new ArrayList<>();
        for (int length : new int[] {100, 2000, 5000}) {
            String collection = "windowCommands" + System.nanoTime();
            CommandHooks hooks = new CommandHooks();
            try (MongoClient hooked = hooks.client(server.connectionString());
                    MongoConversationStore store = MongoConversationStore.builder().client(hooked).database("review")
                            .collection(collection).maxHeadMessages(16).build()) {
                List<Message> batch = new ArrayList<>();
                for (int i = 0; i < length; i++) {
                    batch.add(Message.user("message " + i));
                    if (batch.size() == 100) {
                        store.appendMessages("s", "en", batch);
                        batch.clear();
                    }
                }
                store.writeSummary("s", Summary.of(0, length - 10, "all but the last ten", 5));
                hooks.clear();
                ContextWindow window = store.contextWindow("s", 100_000);
                assertThat(window.summary()).isPresent();
                assertThat(window.storedMessages()).hasSize(10);
                all.add(hooks.started().size());
                commands.add((int) hooks.started().stream().filter(c -> !c.containsKey("killCursors")).count());
                assertThat(hooks.started()).filteredOn(c -> !c.containsKey("killCursors"))
                        .allSatisfy(c -> assertThat(c.toJson()).contains("\"s\""));
            }
        }
        // a cursor on the archive left open (and killed) once the archive holds more than one batch: one
        // command more from some length on, never more with the length
        assertThat(commands).as("commands (without killCursors) at 100, 2000, 5000 messages").containsOnly(commands.get(0));
        assertThat(all.get(2)).as("all commands at 5000 vs 2000 messages: %s", all).isEqualTo(all.get(1));
    }

    /** A token counter that returns a negative count is refused with an error naming it, not a window over budget. */
    @ParameterizedTest
    @ValueSource(strings = {"memory", "mongo"})
    void aNegativeTokenCount_isRefused_namingTheCounter(String kind) {
        try (ConversationStore store = store(kind)) {
            store.appendMessages("s", "en", List.of(Message.user("a"), Message.assistant("b")));
            TokenCounter negative = message -> -5;
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.contextWindow("s", 10, negative))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token counter")
                    .hasMessageContaining("-5").hasMessageContaining("must not be negative");
        }
    }
}
