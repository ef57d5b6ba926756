package io.github.conversationstore.langchain4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.UserMessage;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.Summary;
import io.github.conversationstore.langchain4j.ConversationStoreChatMemoryProvider;
import io.github.conversationstore.langchain4j.ConversationStoreChatMemoryStore;
import io.github.conversationstore.langchain4j.ConversationStoreTokenStream;
import io.github.conversationstore.spi.TokenCounter;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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

    /** A token budget: the system prompt, the newest summary and the newest messages that fit. */
    @Test
    void chatMemoryProvider_tokenWindowWithASummary() {
        try (ConversationStore store = InMemoryConversationStore.create()) {
            ChatModel model = MODEL;
            List<ChatMessage> seen = new java.util.ArrayList<>();
            ChatModel recording = new ChatModel() {
                @Override
                public ChatResponse doChat(ChatRequest request) {
                    seen.clear();
                    seen.addAll(request.messages());
                    return model.chat(request);
                }
            };
            // @start region="token-window"
            ChatMemoryProvider memories = ConversationStoreChatMemoryProvider.builder()
                    .store(store)
                    .language("es")
                    .tokenBudget(2_000) // what fits in 2,000 tokens goes to the model; nothing is deleted
                    .tokenCounter(TokenCounter.approximate()) // the default; or tokenCountEstimator(...)
                    .build();
            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(recording)
                    .chatMemoryProvider(memories)
                    .build();
            for (int i = 0; i < 100; i++) {
                assistant.chat("session-42", "Pregunta " + i);
            }
            // a summary of the first 151 messages (from your summarizer), stored beside them
            store.writeSummary("session-42", Summary.of(0, 151, "The learner asked 75 questions.", 10));
            assistant.chat("session-42", "¿Y ahora?");
            // the model saw: the system prompt, the summary ("Summary of the earlier conversation
            // (its first 151 messages, not repeated below): ..."), then messages 151 to 201
            // @end

            assertThat(seen).hasSize(2 + 51);
            assertThat(((dev.langchain4j.data.message.SystemMessage) seen.get(0)).text()).isEqualTo("You are a Spanish tutor.");
            assertThat(((dev.langchain4j.data.message.SystemMessage) seen.get(1)).text()).isEqualTo(
                    "Summary of the earlier conversation (its first 151 messages, not repeated below):\n\n"
                            + "The learner asked 75 questions.");
            assertThat(((dev.langchain4j.data.message.UserMessage) seen.get(2)).singleText()).isEqualTo("Pregunta 75");
            assertThat(store.readMessages("session-42", 0, 1_000)).hasSize(203);
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

    // @start region="streaming-assistant"
    interface StreamingAssistant {
        TokenStream chat(@MemoryId String conversationId, @UserMessage String text);
    }
    // @end

    /** Streams "Once upon a time" as one chunk, then goes quiet until cancelled, on a thread of its own. */
    private static final StreamingChatModel STALLING_MODEL = new StreamingChatModel() {
        @Override
        public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
            CountDownLatch cancelled = new CountDownLatch(1);
            StreamingHandle handle = new StreamingHandle() {
                @Override
                public void cancel() {
                    cancelled.countDown();
                }

                @Override
                public boolean isCancelled() {
                    return cancelled.getCount() == 0;
                }
            };
            Thread stream = new Thread(() -> {
                handler.onPartialResponse(new PartialResponse("Once upon a time"), new PartialResponseContext(handle));
                try {
                    cancelled.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            stream.setDaemon(true);
            stream.start();
        }
    };

    /** {@code ConversationStoreTokenStream}: a stream the user stops keeps its partial reply. */
    @Test
    @Timeout(30)
    void tokenStream_keepsTheReplyOfAStoppedStream() throws InterruptedException {
        try (ConversationStore store = InMemoryConversationStore.create()) {
            StreamingChatModel model = STALLING_MODEL;
            StringBuilder shown = new StringBuilder();
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            CountDownLatch userPressesStop = new CountDownLatch(1);
            // @start region="token-stream"
            ConversationStoreChatMemoryProvider memories = ConversationStoreChatMemoryProvider.builder()
                    .store(store)
                    .build();
            StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class)
                    .streamingChatModel(ConversationStoreTokenStream.guard(model)) // a stop and a completion: one reply
                    .chatMemoryProvider(memories)
                    .build();
            ConversationStoreTokenStream stream = ConversationStoreTokenStream.of(
                    assistant.chat("session-42", "Tell me a long story."), // the AI service's TokenStream
                    memories.get("session-42"));                          // the memory it writes to
            stream.onPartialResponse(chunk -> {
                        shown.append(chunk);
                        userPressesStop.countDown(); // in this example, once the first chunk is shown
                    })
                    .onError(errors::add)
                    .start();
            userPressesStop.await();
            stream.stop();
            // stored: the user's message, then the text streamed so far, marked finishReason=stopped
            // @end

            assertThat(errors).isEmpty();
            List<StoredMessage> stored = store.readMessages("session-42", 0, 10);
            assertThat(stored).extracting(StoredMessage::text).containsExactly("Tell me a long story.", "Once upon a time");
            assertThat(stored.get(1).message().metadata())
                    .containsEntry(io.github.conversationstore.Message.FINISH_REASON, "stopped");
        }
    }
}
