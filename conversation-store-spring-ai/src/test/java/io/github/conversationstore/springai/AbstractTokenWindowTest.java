package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.Summary;
import io.github.conversationstore.spi.TokenCounter;
import io.github.conversationstore.springai.testing.SpringAiLine;
import io.github.conversationstore.springai.testing.SpringAiLine.ScriptedChatModel;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * {@link ConversationStoreChatMemory} with a token budget, on every store: the newest summary and
 * the newest messages that fit, tool exchanges whole, nothing deleted. Most tests count 10 tokens a
 * message, so that the expected windows can be worked out by hand.
 */
abstract class AbstractTokenWindowTest {
    /** Ten tokens a message, whatever it holds. */
    private static final TokenCounter TEN = message -> 10;
    private static final String ID = "long";

    protected ConversationStore store;

    /** A new, empty store. */
    protected abstract ConversationStore newStore();

    @BeforeEach
    void open() {
        store = newStore();
    }

    @AfterEach
    void close() {
        store.close();
    }

    private ChatMemory memory(int budget) {
        return ConversationStoreChatMemory.builder(store).tokenBudget(budget).tokenCounter(TEN).build();
    }

    /** Adds {@code pairs} question/answer pairs ("q0", "a0", ...) through the memory: 2 * pairs messages. */
    private static void converse(ChatMemory memory, int pairs) {
        for (int i = 0; i < pairs; i++) {
            memory.add(ID, List.of(new UserMessage("q" + i), new AssistantMessage("a" + i)));
        }
    }

    /** The texts of the messages with sequence numbers {@code from} to {@code to - 1}. */
    private static List<String> texts(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> (i % 2 == 0 ? "q" : "a") + i / 2).toList();
    }

    private static List<String> texts(List<Message> messages) {
        return messages.stream().map(Message::getText).toList();
    }

    @Test
    void get_longConversationWithASummary_returnsTheSummaryThenTheTailWithinTheBudget() {
        ChatMemory memory = memory(100);
        converse(memory, 50); // 100 messages, 0 to 99
        store.writeSummary(ID, Summary.of(0, 80, "The learner asked about verbs.", 30));

        List<Message> window = memory.get(ID);

        // 100 tokens: the summary's 30, its heading's 10, then the newest 6 messages (94..99)
        assertThat(window).hasSize(7);
        assertThat(window.get(0)).isInstanceOf(SystemMessage.class);
        assertThat(window.get(0).getText()).isEqualTo(
                "Summary of the earlier conversation (its first 80 messages, not repeated below):\n\n"
                        + "The learner asked about verbs.");
        assertThat(window.get(0).getMetadata()).containsEntry(ConversationStoreChatMemory.SUMMARY_METADATA,
                Map.of("fromSequence", 0L, "toSequence", 80L, "tokenCount", 30));
        assertThat(texts(window.subList(1, 7))).isEqualTo(texts(94, 100));
        // nothing deleted: every message and the summary are still there
        assertThat(store.readMessages(ID, 0, 1_000)).extracting(StoredMessage::text).isEqualTo(texts(0, 100));
        assertThat(store.summaries(ID)).hasSize(1);
    }

    @Test
    void chatClient_tokenWindow_modelSeesTheSummaryAndTheTail_andEveryTurnIsStoredOnce() {
        ChatMemory memory = memory(100);
        converse(memory, 50);
        store.writeSummary(ID, Summary.of(0, 90, "The learner asked about verbs.", 30));
        ScriptedChatModel model = new ScriptedChatModel();
        ChatClient client = SpringAiLine.client(model, memory);

        String reply = client.prompt().user("one more")
                .advisors(advisor -> advisor.param(ChatMemory.CONVERSATION_ID, ID))
                .call().content();

        assertThat(reply).isEqualTo("echo: one more");
        List<Message> sent = model.prompts.get(0).getInstructions();
        assertThat(sent).filteredOn(SystemMessage.class::isInstance).extracting(Message::getText)
                .singleElement().asString().startsWith("Summary of the earlier conversation (its first 90 messages");
        // the window the advisor read (the summary's 30 tokens, its heading's 10, 6 messages), then the request
        assertThat(texts(sent).subList(1, sent.size()))
                .isEqualTo(List.of("q47", "a47", "q48", "a48", "q49", "a49", "one more"));
        assertThat(store.readMessages(ID, 0, 1_000)).extracting(StoredMessage::text).hasSize(102)
                .endsWith("one more", "echo: one more");
    }

    @Test
    void get_newerSummaryBuiltOnAnOlderOne_showsOnlyTheNewest() {
        ChatMemory memory = memory(200);
        converse(memory, 50);
        store.writeSummary(ID, Summary.of(0, 40, "first part", 20));
        store.writeSummary(ID, Summary.of(40, 90, "first and second part", 25));

        List<Message> window = memory.get(ID);

        assertThat(window).filteredOn(SystemMessage.class::isInstance).hasSize(1);
        assertThat(window.get(0).getText()).startsWith("Summary of the earlier conversation (its first 90 messages")
                .endsWith("first and second part");
        // 200 - 25 - 10 leaves 165 tokens: all 10 messages after the summary, never one it covers
        assertThat(texts(window.subList(1, window.size()))).isEqualTo(texts(90, 100));
    }

    @Test
    void get_withoutASummary_returnsOnlyTheNewestMessagesThatFit() {
        ChatMemory memory = memory(55);
        converse(memory, 50);

        List<Message> window = memory.get(ID);

        assertThat(texts(window)).isEqualTo(texts(95, 100));
        assertThat(window).noneMatch(SystemMessage.class::isInstance);
    }

    @Test
    void get_defaultCounter_returnsTheStoresContextWindow() {
        ChatMemory memory = ConversationStoreChatMemory.builder(store).tokenBudget(300).build();
        for (int i = 0; i < 40; i++) {
            memory.add(ID, List.of(new UserMessage("Wie sagt man 'ich bin müde' auf Spanisch? " + i),
                    new AssistantMessage("Estoy cansado. 疲れました " + i)));
        }

        List<Message> window = memory.get(ID);

        List<StoredMessage> expected = store.contextWindow(ID, 300).storedMessages();
        assertThat(expected).hasSizeBetween(2, 79);
        assertThat(texts(window)).isEqualTo(expected.stream().map(StoredMessage::text).toList());
        long tokens = expected.stream().mapToLong(m -> TokenCounter.approximate().count(m.message())).sum();
        assertThat(tokens).isLessThanOrEqualTo(300);
    }

    @Test
    void get_budgetCuttingIntoAToolExchange_neverSplitsTheCallFromItsResults() {
        ChatMemory memory = memory(1_000);
        converse(memory, 3); // 0..5
        memory.add(ID, List.of(new UserMessage("weather?"),
                AssistantMessage.builder().content("")
                        .toolCalls(List.of(
                                new AssistantMessage.ToolCall("call_1", "function", "weather", "{\"city\":\"Paris\"}"),
                                new AssistantMessage.ToolCall("call_2", "function", "weather", "{\"city\":\"Lima\"}")))
                        .build(),
                ToolResponseMessage.builder().responses(List.of(
                        new ToolResponseMessage.ToolResponse("call_1", "weather", "\"sunny\""),
                        new ToolResponseMessage.ToolResponse("call_2", "weather", "\"rain\""))).build(),
                new AssistantMessage("Sunny in Paris, rain in Lima."),
                new UserMessage("thanks")));

        for (int budget = 10; budget <= 80; budget += 5) {
            List<Message> window = ConversationStoreChatMemory.builder(store).tokenBudget(budget).tokenCounter(TEN)
                    .build().get(ID);
            boolean hasCall = window.stream().anyMatch(m -> m instanceof AssistantMessage a && a.hasToolCalls());
            boolean hasResult = window.stream().anyMatch(ToolResponseMessage.class::isInstance);
            assertThat(hasCall).as("budget %d: %s", budget, window).isEqualTo(hasResult);
            assertThat(window.size() * 10).as("budget %d", budget).isLessThanOrEqualTo(budget);
        }
        // 30 tokens: the answer and "thanks"; the exchange (20 more) would not fit beside them whole
        assertThat(texts(ConversationStoreChatMemory.builder(store).tokenBudget(35).tokenCounter(TEN).build().get(ID)))
                .containsExactly("Sunny in Paris, rain in Lima.", "thanks");
        assertThat(ConversationStoreChatMemory.builder(store).tokenBudget(40).tokenCounter(TEN).build().get(ID))
                .hasSize(4).first().isInstanceOf(AssistantMessage.class);
    }

    @Test
    void get_heldToolCall_isShownAfterTheWindowAndCountsAgainstTheBudget() {
        ChatMemory memory = memory(50);
        converse(memory, 5); // 10 messages
        AssistantMessage call = AssistantMessage.builder().content("")
                .toolCalls(List.of(new AssistantMessage.ToolCall("call_9", "function", "weather", "{}")))
                .build();
        memory.add(ID, List.of(call)); // held until its result comes

        List<Message> window = memory.get(ID);

        assertThat(window).hasSize(5).last().isSameAs(call);
        assertThat(texts(window.subList(0, 4))).isEqualTo(texts(6, 10));
        assertThat(store.readMessages(ID, 0, 100)).hasSize(10);
    }

    @Test
    void add_whatGetReturned_storesNothingAgain_alsoTheSummary() {
        ChatMemory memory = memory(100);
        converse(memory, 20);
        store.writeSummary(ID, Summary.of(0, 30, "summary", 10));

        List<Message> window = memory.get(ID);
        memory.add(ID, window);
        memory.add(ID, List.of(new UserMessage("next")));

        assertThat(store.readMessages(ID, 0, 100)).extracting(StoredMessage::text).hasSize(41).last().isEqualTo("next");
        assertThat(memory.get(ID).get(0).getText()).startsWith("Summary of the earlier conversation (its first 30");
    }

    @Test
    void get_systemMessages_countAsMessagesAndOnlyTheLatestIsShown() {
        ChatMemory memory = memory(40);
        memory.add(ID, List.of(new SystemMessage("v1"), new UserMessage("q1")));
        memory.add(ID, List.of(new SystemMessage("v2"), new UserMessage("q2")));

        assertThat(texts(memory.get(ID))).containsExactly("q1", "v2", "q2");
        assertThat(texts(memory(20).get(ID))).containsExactly("v2", "q2");
        // the prompt competes: with room for one message only the newest is shown
        assertThat(texts(memory(10).get(ID))).containsExactly("q2");
    }

    @Test
    void get_budgetEdges() {
        ChatMemory memory = memory(1_000);
        converse(memory, 10); // 20 messages
        store.writeSummary(ID, Summary.of(0, 10, "summary", 25));

        // below one message: nothing fits, nothing is cut
        assertThat(memory(9).get(ID)).isEmpty();
        // exactly one message
        assertThat(texts(memory(10).get(ID))).containsExactly("a9");
        // the summary (25) fits but not with its heading (10): the window of the budget less the
        // heading (20), in which the summary does not fit
        assertThat(texts(memory(30).get(ID))).containsExactly("q9", "a9");
        // summary and heading exactly: no room for a message after them
        List<Message> exact = memory(35).get(ID);
        assertThat(exact).hasSize(1).first().isInstanceOf(SystemMessage.class);
        // a summary over the budget is left out, the messages fill the budget
        assertThat(texts(memory(20).get(ID))).containsExactly("q9", "a9");
        // a conversation that does not exist
        assertThat(memory(100).get("nobody")).isEmpty();
    }

    @Test
    void builder_badBudgetsAndCombinations_areRefused() {
        assertThatThrownBy(() -> ConversationStoreChatMemory.builder(store).tokenBudget(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("tokenBudget must be positive (tokens), was 0");
        assertThatThrownBy(() -> ConversationStoreChatMemory.builder(store).tokenBudget(-5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokenBudget must be positive");
        assertThatThrownBy(() -> ConversationStoreChatMemory.builder(store).tokenCounter(null))
                .isInstanceOf(NullPointerException.class).hasMessage("tokenCounter");
        assertThatThrownBy(() -> ConversationStoreChatMemory.builder(store).maxMessages(20).tokenBudget(100).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("maxMessages and tokenBudget are alternatives");
        assertThatThrownBy(() -> ConversationStoreChatMemory.builder(store).tokenBudget(100).maxMessages(20).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("maxMessages and tokenBudget are alternatives");
        assertThatThrownBy(() -> ConversationStoreChatMemory.builder(store).tokenCounter(TEN).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("tokenCounter counts for a token budget");
    }

    @Test
    void get_withoutABudget_staysTheMessageWindow_andIgnoresSummaries() {
        ChatMemory memory = ConversationStoreChatMemory.builder(store).build();
        converse(memory, 20);
        store.writeSummary(ID, Summary.of(0, 30, "summary", 10));

        List<Message> window = memory.get(ID);

        assertThat(texts(window)).isEqualTo(texts(20, 40));
    }
}
