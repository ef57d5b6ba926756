package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LangChain4j's own AiServices, with a tool and a scripted chat model, drive the adapter: through
 * {@code MessageWindowChatMemory} on {@link ConversationStoreChatMemoryStore}, and through
 * {@link ConversationStoreChatMemoryProvider}; on the in-memory store and the embedded MongoDB server.
 */
class AiServicesTest {

    enum Memory {
        MESSAGE_WINDOW_CHAT_MEMORY, CONVERSATION_STORE_CHAT_MEMORY;

        ChatMemoryProvider provider(ConversationStore store, int maxMessages) {
            if (this == MESSAGE_WINDOW_CHAT_MEMORY) {
                ConversationStoreChatMemoryStore memoryStore = ConversationStoreChatMemoryStore.builder()
                        .store(store).language("en").build();
                return memoryId -> MessageWindowChatMemory.builder()
                        .id(memoryId).maxMessages(maxMessages).chatMemoryStore(memoryStore).build();
            }
            return ConversationStoreChatMemoryProvider.builder().store(store).language("en").window(maxMessages).build();
        }
    }

    static Stream<Arguments> setups() {
        List<Arguments> out = new ArrayList<>();
        Stores.all().forEach(kind -> {
            for (Memory memory : Memory.values()) {
                out.add(Arguments.of(kind, memory));
            }
        });
        return out.stream();
    }

    private static Scripted.Assistant assistant(Scripted.Model model, ChatMemoryProvider memories) {
        return AiServices.builder(Scripted.Assistant.class)
                .chatModel(model)
                .chatMemoryProvider(memories)
                .tools(new Scripted.WeatherTools())
                .build();
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("setups")
    void chat_withATool_storesEveryMessageOnceCallBesideResult(Stores.Kind kind, Memory memory) {
        try (ConversationStore store = kind.open()) {
            Scripted.Model model = new Scripted.Model();
            Scripted.Assistant assistant = assistant(model, memory.provider(store, 20));

            String paris = assistant.chat("conv-1", "Paris");
            String lima = assistant.chat("conv-1", "Lima");

            assertThat(paris).isEqualTo("The weather: sunny in Paris");
            assertThat(lima).isEqualTo("The weather: sunny in Lima");
            List<StoredMessage> stored = Conversations.all(store, "conv-1");
            assertThat(stored).extracting(StoredMessage::role).containsExactly(Role.SYSTEM,
                    Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT,
                    Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
            Conversations.assertWhole(stored, List.of("Paris", "Lima"));
            // the model's last request: the whole conversation so far, read back from the store
            List<ChatMessage> lastRequest = model.requests.get(3).messages();
            assertThat(lastRequest).extracting(ChatMessage::type).extracting(Enum::name).containsExactly(
                    "SYSTEM", "USER", "AI", "TOOL_EXECUTION_RESULT", "AI", "USER", "AI", "TOOL_EXECUTION_RESULT");
            assertThat(lastRequest.get(0)).isEqualTo(SystemMessage.from("You are a helpful assistant."));
            assertThat(lastRequest.get(5)).isEqualTo(UserMessage.from("Lima"));
            assertThat(((ToolExecutionResultMessage) lastRequest.get(7)).text()).isEqualTo("sunny in Lima");
            assertThat(((AiMessage) lastRequest.get(6)).toolExecutionRequests().get(0).id())
                    .isEqualTo(((ToolExecutionResultMessage) lastRequest.get(7)).id());
        }
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("setups")
    void chat_conversationLongerThanTheWindow_keepsTheWholeHistory(Stores.Kind kind, Memory memory) {
        try (ConversationStore store = kind.open()) {
            Scripted.Model model = new Scripted.Model();
            Scripted.Assistant assistant = assistant(model, memory.provider(store, 4));
            List<String> cities = List.of("Paris", "Lima", "Oslo", "Quito", "Hanoi", "Dakar");

            for (String city : cities) {
                assertThat(assistant.chat("conv-1", city)).isEqualTo("The weather: sunny in " + city);
            }

            Conversations.assertWhole(Conversations.all(store, "conv-1"), cities);
            // what the model saw stayed bounded by the window, and began with the system message
            assertThat(model.requests).allSatisfy(request -> {
                assertThat(request.messages()).hasSizeLessThanOrEqualTo(6);
                assertThat(request.messages().get(0)).isInstanceOf(SystemMessage.class);
            });
        }
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("setups")
    void chat_afterAnApplicationRestart_continuesWithoutStoringTheSystemMessageAgain(Stores.Kind kind, Memory memory) {
        try (ConversationStore store = kind.open()) {
            assistant(new Scripted.Model(), memory.provider(store, 4)).chat("conv-1", "Paris");
            assistant(new Scripted.Model(), memory.provider(store, 4)).chat("conv-1", "Lima");

            // a new adapter and service, as after a restart, with the system message out of the window
            Scripted.Model model = new Scripted.Model();
            assistant(model, memory.provider(store, 4)).chat("conv-1", "Oslo");

            Conversations.assertWhole(Conversations.all(store, "conv-1"), List.of("Paris", "Lima", "Oslo"));
            assertThat(model.requests.get(0).messages().get(0)).isEqualTo(SystemMessage.from("You are a helpful assistant."));
        }
    }
}
