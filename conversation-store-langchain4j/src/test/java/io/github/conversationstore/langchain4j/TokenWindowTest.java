package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.model.TokenCountEstimator;
import dev.langchain4j.service.AiServices;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.Summary;
import io.github.conversationstore.spi.TokenCounter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ConversationStoreChatMemory} with a token budget (a {@code TokenWindowChatMemory} that
 * deletes nothing), on every store: the system prompt, the newest summary and the newest messages
 * that fit, tool exchanges whole. Most tests count 10 tokens a message, so that the expected
 * windows can be worked out by hand.
 */
class TokenWindowTest {
    /** Ten tokens a message, whatever it holds. */
    private static final TokenCounter TEN = message -> 10;
    private static final String ID = "long";
    private static final String PROMPT = "You are a Spanish tutor.";

    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    private static ChatMemory memory(ConversationStore store, int budget) {
        return ConversationStoreChatMemory.builder().store(store).id(ID).tokenBudget(budget).tokenCounter(TEN).build();
    }

    /** Adds {@code pairs} question/answer pairs ("q0", "a0", ...), one append each. */
    private static void converse(ChatMemory memory, int from, int pairs) {
        for (int i = from; i < from + pairs; i++) {
            memory.add(List.of(UserMessage.from("q" + i), AiMessage.from("a" + i)));
        }
    }

    /** The texts of pairs {@code from} to {@code to - 1}: "q<from>", "a<from>", ... */
    private static List<String> pairs(int from, int to) {
        List<String> out = new ArrayList<>();
        IntStream.range(from, to).forEach(i -> {
            out.add("q" + i);
            out.add("a" + i);
        });
        return out;
    }

    private static String text(ChatMessage message) {
        if (message instanceof UserMessage user) {
            return user.singleText();
        }
        if (message instanceof AiMessage ai) {
            return ai.hasToolExecutionRequests() ? "call:" + ai.toolExecutionRequests().get(0).id() : ai.text();
        }
        if (message instanceof SystemMessage system) {
            return system.text();
        }
        return "result:" + ((ToolExecutionResultMessage) message).id();
    }

    private static List<String> texts(List<ChatMessage> messages) {
        return messages.stream().map(TokenWindowTest::text).toList();
    }

    @ParameterizedTest
    @MethodSource("stores")
    void messages_longConversationWithASummary_returnsPromptSummaryAndTailWithinTheBudget(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ChatMemory memory = memory(store, 100);
            memory.add(SystemMessage.from(PROMPT)); // sequence 0
            converse(memory, 0, 50);              // 1 to 100
            store.writeSummary(ID, Summary.of(0, 81, "The learner practised verbs.", 20));

            List<ChatMessage> window = memory.messages();

            // 100 tokens: the prompt's 10, the summary's 20 and its heading's 10, then 6 messages
            assertThat(texts(window)).containsExactly(PROMPT,
                    "Summary of the earlier conversation (its first 81 messages, not repeated below):\n\n"
                            + "The learner practised verbs.",
                    "q47", "a47", "q48", "a48", "q49", "a49");
            assertThat(window.get(1)).isInstanceOf(SystemMessage.class);
            // nothing deleted
            List<String> all = new ArrayList<>(List.of(PROMPT));
            all.addAll(pairs(0, 50));
            assertThat(store.readMessages(ID, 0, 1_000)).extracting(StoredMessage::text).isEqualTo(all);
            assertThat(store.summaries(ID)).hasSize(1);
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void messages_withoutASummary_returnsOnlyTheNewestMessagesThatFit(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ChatMemory memory = memory(store, 45);
            converse(memory, 0, 50);

            assertThat(texts(memory.messages())).containsExactly("q48", "a48", "q49", "a49");
            assertThat(texts(memory(store, 35).messages())).containsExactly("a48", "q49", "a49");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void messages_budgetCuttingIntoAToolExchange_neverSplitsTheCallFromItsResults(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ChatMemory memory = memory(store, 1_000);
            converse(memory, 0, 3);
            ToolExecutionRequest paris = ToolExecutionRequest.builder().id("call_1").name("weather")
                    .arguments("{\"city\":\"Paris\"}").build();
            ToolExecutionRequest lima = ToolExecutionRequest.builder().id("call_2").name("weather")
                    .arguments("{\"city\":\"Lima\"}").build();
            memory.add(List.of(UserMessage.from("weather?"), AiMessage.from(List.of(paris, lima)),
                    ToolExecutionResultMessage.from(paris, "sunny"), ToolExecutionResultMessage.from(lima, "rain"),
                    AiMessage.from("Sunny in Paris, rain in Lima."), UserMessage.from("thanks")));

            for (int budget = 10; budget <= 90; budget += 5) {
                List<String> window = texts(memory(store, budget).messages());
                assertThat(window.contains("call:call_1")).as("budget %d: %s", budget, window)
                        .isEqualTo(window.contains("result:call_1")).isEqualTo(window.contains("result:call_2"));
                assertThat(window.size() * 10).as("budget %d: %s", budget, window).isLessThanOrEqualTo(budget);
            }
            // the call and its two results are 30 tokens, taken whole or not at all
            assertThat(texts(memory(store, 45).messages())).containsExactly("Sunny in Paris, rain in Lima.", "thanks");
            assertThat(texts(memory(store, 50).messages())).containsExactly("call:call_1", "result:call_1",
                    "result:call_2", "Sunny in Paris, rain in Lima.", "thanks");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void messages_systemPrompt_isSetAsideFirstAndShownOnce(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ChatMemory memory = memory(store, 1_000);
            memory.add(SystemMessage.from("v1"));
            converse(memory, 0, 1);
            memory.add(SystemMessage.from("v2"));
            converse(memory, 1, 20);

            // in the window: the latest prompt where it was stored, the older one left out
            assertThat(texts(memory(store, 1_000).messages()).subList(0, 4)).containsExactly("q0", "a0", "v2", "q1");
            assertThat(texts(memory(store, 1_000).messages())).doesNotContain("v1").hasSize(1 + 2 + 40);
            // older than the window: first, paid for once (10 of the 50 tokens)
            assertThat(texts(memory(store, 50).messages())).containsExactly("v2", "q19", "a19", "q20", "a20");
            // the prompt alone fills the budget: it is returned alone, never dropped
            assertThat(texts(memory(store, 10).messages())).containsExactly("v2");
            assertThat(texts(memory(store, 3).messages())).containsExactly("v2");
            assertThat(store.readMessages(ID, 0, 1_000)).hasSize(44);
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void add_whatMessagesReturned_storesNothingAgain_alsoTheSummary(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ChatMemory memory = memory(store, 100);
            converse(memory, 0, 20);
            store.writeSummary(ID, Summary.of(0, 30, "summary", 10));

            List<ChatMessage> window = memory.messages();
            memory.add(window);
            memory.set(window);
            memory.add(UserMessage.from("next"));

            assertThat(store.readMessages(ID, 0, 100)).extracting(StoredMessage::text).hasSize(41).last().isEqualTo("next");
            assertThat(text(memory.messages().get(0))).startsWith("Summary of the earlier conversation (its first 30 ");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void messages_budgetEdges(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ChatMemory memory = memory(store, 1_000);
            converse(memory, 0, 10);
            store.writeSummary(ID, Summary.of(0, 10, "summary", 25));

            assertThat(memory(store, 9).messages()).isEmpty();                      // below one message
            assertThat(texts(memory(store, 10).messages())).containsExactly("a9"); // exactly one
            // the summary (25) fits, not with its heading (10): the window of 30 - 10 tokens, without it
            assertThat(texts(memory(store, 30).messages())).containsExactly("q9", "a9");
            // summary and heading exactly
            assertThat(texts(memory(store, 35).messages())).singleElement()
                    .satisfies(text -> assertThat(text).startsWith("Summary of"));
            // a summary over the budget is left out
            assertThat(texts(memory(store, 20).messages())).containsExactly("q9", "a9");
            assertThat(ConversationStoreChatMemory.builder().store(store).id("nobody").tokenBudget(100).build().messages())
                    .isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void provider_tokenBudget_withLangChain4jsEstimator(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            TokenCountEstimator words = new TokenCountEstimator() {
                @Override
                public int estimateTokenCountInText(String text) {
                    return text.isBlank() ? 0 : text.trim().split("\\s+").length;
                }

                @Override
                public int estimateTokenCountInMessage(ChatMessage message) {
                    return estimateTokenCountInText(text(message));
                }

                @Override
                public int estimateTokenCountInMessages(Iterable<ChatMessage> messages) {
                    int total = 0;
                    for (ChatMessage m : messages) {
                        total += estimateTokenCountInMessage(m);
                    }
                    return total;
                }
            };
            ConversationStoreChatMemoryProvider provider = ConversationStoreChatMemoryProvider.builder()
                    .store(store).tokenBudget(6).tokenCountEstimator(words).build();
            ChatMemory memory = provider.get(ID);
            memory.add(List.of(UserMessage.from("one two three"), AiMessage.from("four five"),
                    UserMessage.from("six seven"), AiMessage.from("eight nine ten")));

            // 6 words: the newest two messages (5); "four five" would make 7
            assertThat(texts(memory.messages())).containsExactly("six seven", "eight nine ten");
            assertThat(texts(provider.get(ID).messages())).hasSize(2);
        }
    }

    @Test
    void builders_badBudgetsAndCombinations_areRefused() {
        assertThatThrownBy(() -> ConversationStoreChatMemory.builder().tokenBudget(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("tokenBudget must be positive (tokens), was 0");
        assertThatThrownBy(() -> ConversationStoreChatMemoryProvider.builder().tokenBudget(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("tokenBudget must be positive (tokens), was -1");
        assertThatThrownBy(() -> ConversationStoreChatMemory.builder().tokenCounter(null))
                .isInstanceOf(NullPointerException.class).hasMessage("tokenCounter");
        assertThatThrownBy(() -> ConversationStoreChatMemory.builder().tokenCountEstimator(null))
                .isInstanceOf(NullPointerException.class).hasMessage("tokenCountEstimator");
        try (ConversationStore store = io.github.conversationstore.InMemoryConversationStore.create()) {
            assertThatThrownBy(() -> ConversationStoreChatMemory.builder().store(store).id("c").window(20)
                    .tokenBudget(100).build())
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("window and tokenBudget are alternatives");
            assertThatThrownBy(() -> ConversationStoreChatMemoryProvider.builder().store(store).tokenBudget(100)
                    .window(20).build())
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("window and tokenBudget are alternatives");
            assertThatThrownBy(() -> ConversationStoreChatMemoryProvider.builder().store(store).tokenCounter(TEN).build())
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("tokenCounter counts for a token budget");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void aiServices_toolTurnsUnderATokenBudget_neverSeeACallWithoutItsResult(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            Scripted.Model model = new Scripted.Model();
            Scripted.Assistant assistant = AiServices.builder(Scripted.Assistant.class)
                    .chatModel(model)
                    .chatMemoryProvider(ConversationStoreChatMemoryProvider.builder().store(store).tokenBudget(150).build())
                    .tools(new Scripted.WeatherTools())
                    .build();
            for (int i = 0; i < 10; i++) {
                assertThat(assistant.chat(ID, "city " + i)).isEqualTo("The weather: sunny in city " + i);
            }
            // each turn: the user's message, the call with its result (one append), the answer
            store.writeSummary(ID, Summary.of(0, 33, "Asked the weather of eight cities.", 10));
            model.requests.clear();

            assertThat(assistant.chat(ID, "Lima")).isEqualTo("The weather: sunny in Lima");

            assertThat(model.requests).hasSize(2);
            for (dev.langchain4j.model.chat.request.ChatRequest request : model.requests) {
                List<ChatMessage> sent = request.messages();
                assertThat(text(sent.get(0))).isEqualTo("You are a helpful assistant.");
                assertThat(text(sent.get(1))).startsWith("Summary of the earlier conversation (its first 33 messages");
                for (int i = 0; i < sent.size(); i++) {
                    if (sent.get(i) instanceof ToolExecutionResultMessage) {
                        assertThat(sent.get(i - 1)).as("before %s in %s", sent.get(i), sent)
                                .isInstanceOf(AiMessage.class).matches(m -> ((AiMessage) m).hasToolExecutionRequests());
                    }
                }
                int tokens = 0;
                for (ChatMessage m : sent.subList(2, sent.size())) {
                    tokens += TokenCounter.approximate().count(MessageMapper.toStore(m, new MessageMapper.ToolCallIds()));
                }
                int prompt = TokenCounter.approximate().count(io.github.conversationstore.Message.system(text(sent.get(0))));
                int heading = TokenCounter.approximate().count(io.github.conversationstore.Message.system(
                        "Summary of the earlier conversation (its first 33 messages, not repeated below):"));
                assertThat(prompt + 10 + heading + tokens).as("%s", sent).isLessThanOrEqualTo(150);
            }
            // the second request of the turn holds its call and result
            List<ChatMessage> second = model.requests.get(1).messages();
            AiMessage call = (AiMessage) second.get(second.size() - 2);
            assertThat(texts(second)).endsWith("Lima", "call:" + call.toolExecutionRequests().get(0).id(),
                    "result:" + call.toolExecutionRequests().get(0).id());
            assertThat(store.readMessages(ID, 0, 1_000)).hasSize(1 + 11 * 4);
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void messages_withoutABudget_staysTheMessageWindow(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ChatMemory memory = ConversationStoreChatMemory.builder().store(store).id(ID).build();
            converse(memory, 0, 20);
            store.writeSummary(ID, Summary.of(0, 30, "summary", 10));

            assertThat(texts(memory.messages())).isEqualTo(pairs(10, 20));
        }
    }
}
