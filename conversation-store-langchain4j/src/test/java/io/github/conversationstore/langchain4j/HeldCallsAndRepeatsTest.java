package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Found by an adversarial review: attempts to break the adapter's documented promises. */
class HeldCallsAndRepeatsTest {

    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    private static List<String> stored(ConversationStore store, String session) {
        List<String> out = new ArrayList<>();
        for (StoredMessage m : store.readMessages(session, 0, 1000)) {
            String what = !m.message().toolCalls().isEmpty()
                    ? "call(" + m.message().toolCalls().get(0).callId() + "," + m.message().toolCalls().get(0).name() + ")"
                    : !m.message().toolResults().isEmpty() ? "result(" + m.message().toolResults().get(0).content() + ")"
                    : m.text();
            out.add(m.role().wireName() + ":" + what);
        }
        return out;
    }

    private static AiMessage call(String id, String tool) {
        return AiMessage.from(ToolExecutionRequest.builder().id(id).name(tool).arguments("{}").build());
    }

    private static ToolExecutionResultMessage result(String id, String tool, String text) {
        return ToolExecutionResultMessage.from(id, tool, text);
    }

    /**
     * ChatMemory.add of the same message object twice in one call: the doc says adding an object
     * already stored writes nothing, so one object must be stored once.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void add_sameObjectTwiceInOneCall_isStoredOnce(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c1").build();
            UserMessage hi = UserMessage.from("hi");
            memory.add(List.of(hi, hi));
            memory.add(hi); // the same object again: writes nothing (this part holds)
            assertThat(stored(store, "c1")).containsExactly("user:hi");
        }
    }

    /** Same, through ChatMemoryStore.updateMessages (a list handed back with one new object twice). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void updateMessages_sameNewObjectTwiceInTheList_isStoredOnce(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryStore adapter = ConversationStoreChatMemoryStore.builder().store(store).build();
            List<ChatMessage> read = new ArrayList<>(adapter.getMessages("c1"));
            UserMessage hi = UserMessage.from("hi");
            read.add(hi);
            read.add(hi);
            adapter.updateMessages("c1", read);
            assertThat(stored(store, "c1")).containsExactly("user:hi");
        }
    }

    /**
     * A tool call whose result never came (the tool threw, a hallucinated tool name made AiServices
     * throw, the process was interrupted) stays held. A later turn whose call reuses the call id
     * (providers that number calls per response, "call_0", or no id at all: the adapter's own
     * synthetic "lc4j-call-0") has its result attached to the stale held call: the stale call is
     * stored with the new turn's result, and the new turn's call is never stored.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void staleHeldCall_doesNotCaptureALaterTurnsResult(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c1").build();
            memory.add(UserMessage.from("turn 1"));
            memory.add(call("call_0", "lookupOrder")); // its result never comes
            memory.add(UserMessage.from("turn 2"));
            memory.add(call("call_0", "getWeather"));
            memory.add(result("call_0", "getWeather", "sunny"));
            memory.add(AiMessage.from("It is sunny"));

            List<String> all = stored(store, "c1");
            assertThat(all).containsSubsequence("assistant:call(call_0,getWeather)", "tool:result(sunny)");
            assertThat(all).doesNotContain("assistant:call(call_0,lookupOrder)");
            List<ChatMessage> window = memory.messages();
            assertThat(window).contains(call("call_0", "getWeather"));
        }
    }

    /** The same with requests without an id (as some providers send them): both get lc4j-call-0. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void staleHeldCallWithoutId_doesNotCaptureALaterTurnsResult(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c1").build();
            memory.add(UserMessage.from("turn 1"));
            memory.add(call(null, "lookupOrder")); // its result never comes
            memory.add(UserMessage.from("turn 2"));
            memory.add(call(null, "getWeather"));
            memory.add(result(null, "getWeather", "sunny"));
            memory.add(AiMessage.from("It is sunny"));

            List<String> all = stored(store, "c1");
            assertThat(all).containsSubsequence("assistant:call(lc4j-call-0,getWeather)", "tool:result(sunny)");
            assertThat(all).doesNotContain("assistant:call(lc4j-call-0,lookupOrder)");
        }
    }

    /**
     * clear() erases the conversation, header included. A system message stored again afterwards
     * must be stored (its append id is derived from version 1 and its text: the same id as before
     * the deletion).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void systemMessage_afterClear_isStoredAgain(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryStore adapter = ConversationStoreChatMemoryStore.builder().store(store).build();
            MessageWindowChatMemory memory = MessageWindowChatMemory.builder().id("c1").maxMessages(50)
                    .chatMemoryStore(adapter).build();
            memory.add(SystemMessage.from("You are terse."));
            memory.add(UserMessage.from("hi"));
            memory.clear();
            memory.add(SystemMessage.from("You are terse."));
            memory.add(UserMessage.from("hi again"));
            assertThat(stored(store, "c1")).containsExactly("system:You are terse.", "user:hi again");
            assertThat(memory.messages().get(0)).isEqualTo(SystemMessage.from("You are terse."));
        }
    }

    /**
     * Parallel tool calls answered in a different order, with AiServices' sequence of adds through
     * MessageWindowChatMemory: the call and both results are stored together, and read back whole.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void parallelCalls_resultsOutOfOrder_storedTogether(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryStore adapter = ConversationStoreChatMemoryStore.builder().store(store).build();
            MessageWindowChatMemory memory = MessageWindowChatMemory.builder().id("c1").maxMessages(10)
                    .chatMemoryStore(adapter).build();
            memory.add(UserMessage.from("weather in Paris and Oslo"));
            AiMessage calls = AiMessage.from(
                    ToolExecutionRequest.builder().id("a").name("w").arguments("{\"c\":\"Paris\"}").build(),
                    ToolExecutionRequest.builder().id("b").name("w").arguments("{\"c\":\"Oslo\"}").build());
            memory.add(calls);
            memory.add(result("b", "w", "cold"));
            memory.add(result("a", "w", "warm"));
            memory.add(AiMessage.from("Paris warm, Oslo cold"));
            List<ChatMessage> read = memory.messages();
            assertThat(read).containsExactly(UserMessage.from("weather in Paris and Oslo"), calls,
                    result("b", "w", "cold"), result("a", "w", "warm"), AiMessage.from("Paris warm, Oslo cold"));
        }
    }

    /** Attributes of numeric types other than Integer/Long/Double read back equal (the doc: every message equals). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void floatAttribute_readsBackAsADouble(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c1").build();
            AiMessage ai = AiMessage.builder().text("t").attributes(Map.of("temperature", 0.5f)).build();
            memory.add(ai);
            // documented: attribute numbers come back in JSON's types (a Float as a Double)
            assertThat(((AiMessage) memory.messages().get(0)).attributes()).containsEntry("temperature", 0.5d);
        }
    }

    /**
     * The stale held call through AiServices: turn 1's model asks for a tool that does not exist
     * (AiServices' default hallucinated-tool-name strategy throws, so no result is ever added);
     * turn 2's model numbers its call "call_0" again. Turn 2's call must be stored right before its
     * result, and turn 1's unanswered call not at all.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aiServices_unansweredCallThenReusedCallId_keepsTurnTwosCallWithItsResult(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            java.util.concurrent.atomic.AtomicInteger step = new java.util.concurrent.atomic.AtomicInteger();
            dev.langchain4j.model.chat.ChatModel model = new dev.langchain4j.model.chat.ChatModel() {
                @Override
                public dev.langchain4j.model.chat.response.ChatResponse doChat(
                        dev.langchain4j.model.chat.request.ChatRequest request) {
                    switch (step.incrementAndGet()) {
                        case 1:
                            return dev.langchain4j.model.chat.response.ChatResponse.builder()
                                    .aiMessage(call("call_0", "lookupOrder")).build();
                        case 2:
                            return dev.langchain4j.model.chat.response.ChatResponse.builder()
                                    .aiMessage(AiMessage.from(ToolExecutionRequest.builder().id("call_0")
                                            .name("weather").arguments("{\"city\":\"Oslo\"}").build())).build();
                        default:
                            return dev.langchain4j.model.chat.response.ChatResponse.builder()
                                    .aiMessage(AiMessage.from("done")).build();
                    }
                }
            };
            Scripted.Assistant assistant = dev.langchain4j.service.AiServices.builder(Scripted.Assistant.class)
                    .chatModel(model)
                    .chatMemoryProvider(ConversationStoreChatMemoryProvider.builder().store(store).build())
                    .tools(new Scripted.WeatherTools())
                    .build();
            try {
                assistant.chat("c1", "where is my order?");
            } catch (RuntimeException expected) {
                // the hallucinated tool name: AiServices throws, no result is added
            }
            assistant.chat("c1", "weather in Oslo?");
            List<String> all = stored(store, "c1");
            assertThat(all).containsSubsequence("assistant:call(call_0,weather)", "tool:result(sunny in Oslo)");
            assertThat(all).doesNotContain("assistant:call(call_0,lookupOrder)");
        }
    }

    @SuppressWarnings("unused")
    private static long count(ConversationStore store, String session, Role role) {
        return store.readMessages(session, 0, 1000).stream().filter(m -> m.role() == role).count();
    }
}
