package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.StoredMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link ConversationStoreChatMemory} and its provider, called directly. */
class ChatMemoryTest {

    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    private static List<String> texts(ConversationStore store) {
        List<String> out = new ArrayList<>();
        for (StoredMessage m : store.readMessages("c1", 0, 1000)) {
            out.add(m.role().wireName() + ":" + (!m.message().toolCalls().isEmpty() ? m.message().toolCalls().get(0).callId()
                    : !m.message().toolResults().isEmpty() ? m.message().toolResults().get(0).content() : m.text()));
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("stores")
    void add_sameMessageObjectTwice_storesItOnce(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c1").build();
            UserMessage hello = UserMessage.from("hello");

            memory.add(hello);
            memory.add(hello);
            memory.add(UserMessage.from("hello")); // another message with the same text is another message

            assertThat(texts(store)).containsExactly("user:hello", "user:hello");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void add_messageReadFromTheMemory_isNotStoredAgain(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c1").build();
            memory.add(UserMessage.from("hello"));

            memory.add(memory.messages());

            assertThat(texts(store)).containsExactly("user:hello");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void add_equalSystemMessageOnEveryCall_storesItOnce(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ChatMemory memory = ConversationStoreChatMemoryProvider.builder().store(store).build().get("c1");

            for (int i = 0; i < 3; i++) {
                memory.add(SystemMessage.from("Be brief."));
                memory.add(UserMessage.from("u" + i));
            }

            assertThat(texts(store)).containsExactly("system:Be brief.", "user:u0", "user:u1", "user:u2");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void add_toolResultAfterAnotherWritersMessage_storesCallAndResultTogether(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryProvider provider = ConversationStoreChatMemoryProvider.builder().store(store).build();
            ChatMemory first = provider.get("c1");
            ChatMemory second = ConversationStoreChatMemoryProvider.builder().store(store).build().get("c1");
            ToolExecutionRequest call = ToolExecutionRequest.builder().id("call-1").name("weather").arguments("{}").build();

            first.add(UserMessage.from("weather?"));
            first.add(AiMessage.from(call));
            second.add(UserMessage.from("another user's question")); // lands while the tool runs
            first.add(ToolExecutionResultMessage.from(call, "sunny"));

            assertThat(texts(store)).containsExactly("user:weather?", "user:another user's question",
                    "assistant:call-1", "tool:sunny");
            assertThat(store.promptWindow("c1", 10)).hasSize(4);
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void add_withGroupToolCallsOff_storesTheCallAtOnce(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c1").groupToolCalls(false).build();
            ToolExecutionRequest call = ToolExecutionRequest.builder().id("call-1").name("weather").arguments("{}").build();

            memory.add(AiMessage.from(call));

            assertThat(texts(store)).containsExactly("assistant:call-1");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void add_severalMessages_appendsThemInOneAtomicAppend(Stores.Kind kind) {
        try (FlakyStore store = new FlakyStore(kind.open())) {
            ChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c1").build();

            memory.add(UserMessage.from("u1"), AiMessage.from("a1"), UserMessage.from("u2"));

            assertThat(store.results).hasSize(1);
            assertThat(store.results.get(0).messageCount()).isEqualTo(3);
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void set_rewrittenList_appendsTheNewSuffixAndDeletesNothing(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c1").build();
            memory.add(UserMessage.from("u1"));
            memory.add(AiMessage.from("a1"));

            List<ChatMessage> rewritten = memory.messages();
            rewritten.remove(0);
            rewritten.add(UserMessage.from("u2"));
            memory.set(rewritten);

            assertThat(texts(store)).containsExactly("user:u1", "assistant:a1", "user:u2");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void clear_thenMessages_isEmpty(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("c1").build();
            memory.add(UserMessage.from("u1"));

            memory.clear();

            assertThat(memory.messages()).isEmpty();
            assertThat(store.findConversation("c1")).isEmpty();
            assertThat(memory.id()).isEqualTo("c1");
        }
    }
}
