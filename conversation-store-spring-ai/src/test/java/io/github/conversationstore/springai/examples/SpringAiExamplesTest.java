package io.github.conversationstore.springai.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.Summary;
import io.github.conversationstore.springai.ConversationStoreChatMemory;
import io.github.conversationstore.springai.ConversationStoreChatMemoryRepository;
import io.github.conversationstore.springai.ConversationStoreStreamAdvisor;
import io.github.conversationstore.spi.TokenCounter;
import io.github.conversationstore.springai.testing.SpringAiLine.ScriptedChatModel;
import io.github.conversationstore.springai.testing.StreamingModel;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatModel;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * The javadoc examples of the Spring AI adapter, compiled and run (on Spring AI 1.1 here, on 2.0
 * in conversation-store-spring-ai-2-test). {@code JavadocSnippetsTest} keeps the javadoc equal to
 * the regions.
 */
class SpringAiExamplesTest {

    /** {@code ConversationStoreChatMemory}: the memory behind a ChatClient's advisor. */
    @Test
    void chatMemory_behindTheAdvisor() {
        try (EmbeddedMongo server = new EmbeddedMongo();
                ConversationStore store = MongoConversationStore.builder()
                        .connectionString(server.connectionString()).database("chat").build()) {
            ChatModel chatModel = new ScriptedChatModel();
            // @start region="chat-memory"
            ChatMemory chatMemory = ConversationStoreChatMemory.builder(store)
                    .language("en")
                    .maxMessages(20) // get reads the last 20 messages; the history stays whole
                    .build();
            ChatClient chatClient = ChatClient.builder(chatModel)
                    .defaultAdvisors(MessageChatMemoryAdvisor.builder(chatMemory).build())
                    .build();
            String reply = chatClient.prompt()
                    .user("How do I say 'I am tired' in Spanish?")
                    .advisors(advisor -> advisor.param(ChatMemory.CONVERSATION_ID, "session-42"))
                    .call()
                    .content();
            // stored, in one atomic append each: the user's message, then the reply
            // @end

            assertThat(reply).isEqualTo("echo: How do I say 'I am tired' in Spanish?");
            assertThat(store.readMessages("session-42", 0, 10)).extracting(StoredMessage::text)
                    .containsExactly("How do I say 'I am tired' in Spanish?", reply);
            assertThat(chatMemory.get("session-42")).hasSize(2);
        }
    }

    /** {@code ConversationStoreChatMemory} with a token budget: the newest summary, then the newest messages. */
    @Test
    void chatMemory_tokenWindowWithASummary() {
        try (ConversationStore store = InMemoryConversationStore.create()) {
            for (int i = 0; i < 100; i++) {
                store.appendMessages("session-42", "es", List.of(
                        io.github.conversationstore.Message.user("question " + i),
                        io.github.conversationstore.Message.assistant("answer " + i)));
            }
            // @start region="token-window"
            ChatMemory chatMemory = ConversationStoreChatMemory.builder(store)
                    .tokenBudget(2_000) // get returns what fits in 2,000 tokens; the history stays whole
                    .tokenCounter(TokenCounter.approximate()) // the default; or the model's own count
                    .build();
            // a summary of the first 180 messages (from your summarizer), stored beside them
            store.writeSummary("session-42",
                    Summary.of(0, 180, "The learner practised ordering food in Spanish.", 12));
            List<Message> context = chatMemory.get("session-42");
            // context: a SystemMessage "Summary of the earlier conversation (its first 180 messages,
            // not repeated below): ...", then messages 180 to 199, oldest first
            // @end

            assertThat(context).hasSize(21);
            assertThat(context.get(0)).isInstanceOf(SystemMessage.class);
            assertThat(context.get(0).getText()).isEqualTo("Summary of the earlier conversation (its first 180 messages,"
                    + " not repeated below):\n\nThe learner practised ordering food in Spanish.");
            assertThat(context.subList(1, 21)).extracting(Message::getText).first().isEqualTo("question 90");
            assertThat(context.get(20).getText()).isEqualTo("answer 99");
            assertThat(store.readMessages("session-42", 0, 1_000)).hasSize(200);
        }
    }

    /** {@code ConversationStoreChatMemoryRepository}: kept MessageWindowChatMemory, append-only store. */
    @Test
    void repository_underMessageWindowChatMemory() {
        try (ConversationStore store = InMemoryConversationStore.create()) {
            // @start region="chat-memory-repository"
            ChatMemory chatMemory = MessageWindowChatMemory.builder()
                    .chatMemoryRepository(ConversationStoreChatMemoryRepository.builder(store)
                            .maxMessages(20) // what findByConversationId reads
                            .build())
                    .maxMessages(40)         // above the repository's, so that the memory never trims
                    .build();
            chatMemory.add("session-42", new UserMessage("¿Qué hora es?"));
            chatMemory.add("session-42", new AssistantMessage("Son las tres."));
            List<Message> window = chatMemory.get("session-42"); // both; each was appended once
            // @end

            assertThat(window).extracting(Message::getText).containsExactly("¿Qué hora es?", "Son las tres.");
            assertThat(store.readMessages("session-42", 0, 10)).hasSize(2);
        }
    }

    /** {@code ConversationStoreStreamAdvisor}: a stream the user stops keeps its partial reply. */
    @Test
    @Timeout(30)
    void streamAdvisor_keepsTheReplyOfAStoppedStream() throws InterruptedException {
        try (EmbeddedMongo server = new EmbeddedMongo();
                ConversationStore store = MongoConversationStore.builder()
                        .connectionString(server.connectionString()).database("chat").build()) {
            StringBuilder shown = new StringBuilder();
            CountDownLatch userPressesStop = new CountDownLatch(1);
            // one chunk, then the model goes quiet
            ChatModel chatModel = new StreamingModel(user -> Flux.concat(
                    Flux.just(StreamingModel.chunk("Once upon a time")), Flux.never()));
            // @start region="stream-advisor"
            ChatMemory chatMemory = ConversationStoreChatMemory.builder(store).build();
            ChatClient chatClient = ChatClient.builder(chatModel)
                    .defaultAdvisors(
                            MessageChatMemoryAdvisor.builder(chatMemory).build(), // stores the whole reply
                            ConversationStoreStreamAdvisor.builder(chatMemory).build()) // or the partial one
                    .build();
            Disposable stream = chatClient.prompt()
                    .user("Tell me a long story.")
                    .advisors(advisor -> advisor.param(ChatMemory.CONVERSATION_ID, "session-42"))
                    .stream()
                    .content()
                    .subscribe(chunk -> {
                        shown.append(chunk);
                        userPressesStop.countDown(); // in this example, once the first chunk is shown
                    });
            userPressesStop.await();
            stream.dispose();
            // stored: the user's message, then the text streamed so far, marked finishReason=stopped
            // @end

            List<StoredMessage> stored = store.readMessages("session-42", 0, 10);
            assertThat(stored).extracting(StoredMessage::text).containsExactly("Tell me a long story.", "Once upon a time");
            assertThat(stored.get(1).message().metadata())
                    .containsEntry(io.github.conversationstore.Message.FINISH_REASON, "stopped");
        }
    }
}
