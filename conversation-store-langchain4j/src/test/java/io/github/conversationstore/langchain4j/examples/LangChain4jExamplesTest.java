package io.github.conversationstore.langchain4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.UserMessage;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.langchain4j.ConversationStoreChatMemoryProvider;
import io.github.conversationstore.langchain4j.ConversationStoreChatMemoryStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The javadoc examples of the LangChain4j adapter, compiled and run. {@code JavadocSnippetsTest}
 * keeps the javadoc equal to the regions.
 */
class LangChain4jExamplesTest {

    // @start region="assistant"
    interface Assistant {
        @SystemMessage("You are a Spanish tutor.")
        String chat(@MemoryId String conversationId, @UserMessage String text);
    }
    // @end

    /** Answers "echo: " and the user's last text. */
    private static final ChatModel MODEL = new ChatModel() {
        @Override
        public ChatResponse doChat(ChatRequest request) {
            List<ChatMessage> messages = request.messages();
            String text = messages.get(messages.size() - 1) instanceof dev.langchain4j.data.message.UserMessage user
                    ? user.singleText() : "";
            return ChatResponse.builder().aiMessage(AiMessage.from("echo: " + text)).build();
        }
    };

    /** {@code ConversationStoreChatMemoryProvider}: one memory per {@code @MemoryId} for AiServices. */
    @Test
    void chatMemoryProvider_forAiServices() {
        try (EmbeddedMongo server = new EmbeddedMongo();
                ConversationStore store = MongoConversationStore.builder()
                        .connectionString(server.connectionString()).database("tutor").build()) {
            ChatModel model = MODEL;
            // @start region="chat-memory-provider"
            ChatMemoryProvider memories = ConversationStoreChatMemoryProvider.builder()
                    .store(store)
                    .language("es")
                    .window(20) // the last 20 messages go to the model; the history stays whole
                    .build();
            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(model)
                    .chatMemoryProvider(memories)
                    .build();
            String answer = assistant.chat("session-42", "¿Qué hora es?");
            // stored once each: the system message, the user's message, the answer
            // @end

            assertThat(answer).isEqualTo("echo: ¿Qué hora es?");
            assertThat(store.readMessages("session-42", 0, 10)).extracting(StoredMessage::text)
                    .containsExactly("You are a Spanish tutor.", "¿Qué hora es?", answer);
        }
    }

    /** {@code ConversationStoreChatMemoryStore}: the store under LangChain4j's own window memory. */
    @Test
    void chatMemoryStore_underMessageWindowChatMemory() {
        try (ConversationStore store = InMemoryConversationStore.create()) {
            ChatModel model = MODEL;
            // @start region="chat-memory-store"
            ChatMemoryStore memoryStore = ConversationStoreChatMemoryStore.builder()
                    .store(store)
                    .language("es")
                    .build();
            ChatMemoryProvider memories = memoryId -> MessageWindowChatMemory.builder()
                    .id(memoryId)
                    .maxMessages(20) // evicted messages leave the window, never the store
                    .chatMemoryStore(memoryStore)
                    .build();
            // @end
            Assistant assistant = AiServices.builder(Assistant.class).chatModel(model).chatMemoryProvider(memories).build();

            assertThat(assistant.chat("session-42", "Hola")).isEqualTo("echo: Hola");
            assertThat(assistant.chat("session-42", "¿Y tú?")).isEqualTo("echo: ¿Y tú?");
            assertThat(store.readMessages("session-42", 0, 10)).extracting(StoredMessage::text)
                    .containsExactly("You are a Spanish tutor.", "Hola", "echo: Hola", "¿Y tú?", "echo: ¿Y tú?");
        }
    }
}
