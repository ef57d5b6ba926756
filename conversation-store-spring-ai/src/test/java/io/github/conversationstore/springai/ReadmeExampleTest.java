package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.springai.testing.SpringAiLine.ScriptedChatModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.model.ChatModel;

/** The README's Spring AI example, compiled and run: keep the two in step. */
class ReadmeExampleTest {
    private static final Path THIS_TEST =
            Path.of("../conversation-store-spring-ai/src/test/java/io/github/conversationstore/springai/ReadmeExampleTest.java");

    @Test
    void readme_showsTheCompiledExample() throws IOException {
        String test = Files.readString(THIS_TEST);
        String readme = Files.readString(Path.of("../README.md"));
        String start = "// --- spring ai ---\n";
        String code = test.substring(test.lastIndexOf(start) + start.length(), test.lastIndexOf("// --- end spring ai ---"));

        assertThat(readme).contains("## Spring AI");
        assertThat(readme.indexOf("## Spring AI")).isLessThan(readme.indexOf("## Benchmarks"));
        assertThat(normalized(readme)).contains(normalized(code));
    }

    private static String normalized(String code) {
        return code.replaceAll("\\s+", " ").trim();
    }

    @Test
    void example_runs() {
        try (EmbeddedMongo server = new EmbeddedMongo();
                MongoClient mongoClient = MongoClients.create(server.connectionString());
                ConversationStore store = MongoConversationStore.builder().client(mongoClient).database("chat").build()) {
            ChatModel chatModel = new ScriptedChatModel();
            // --- spring ai ---
            // The ChatMemory to give MessageChatMemoryAdvisor: add appends exactly what it is given
            // (one atomic, exactly-once append), get reads only the last 20 messages.
            ChatMemory chatMemory = ConversationStoreChatMemory.builder(store)
                    .language("en")
                    .maxMessages(20)
                    .build();
            ChatClient chatClient = ChatClient.builder(chatModel)
                    .defaultAdvisors(MessageChatMemoryAdvisor.builder(chatMemory).build())
                    .build();
            String reply = chatClient.prompt()
                    .user("How do I say 'I am tired' in Spanish?")
                    .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "session-42"))
                    .call()
                    .content();

            // Or keep MessageWindowChatMemory: its repository appends only what is new, never deletes.
            ChatMemory windowMemory = MessageWindowChatMemory.builder()
                    .chatMemoryRepository(ConversationStoreChatMemoryRepository.builder(store).build())
                    .maxMessages(20)
                    .build();
            // --- end spring ai ---

            assertThat(reply).isEqualTo("echo: How do I say 'I am tired' in Spanish?");
            assertThat(store.readMessages("session-42", 0, 10)).hasSize(2);
            assertThat(windowMemory.get("session-42")).hasSize(2);
        }
    }
}
