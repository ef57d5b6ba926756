package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.langchain4j.Scripted.Assistant;
import io.github.conversationstore.langchain4j.Scripted.WeatherTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's LangChain4j example, compiled and run; the README must show it as it is here. */
class ReadmeExampleTest {

    @Test
    void readme_showsTheCompiledLangChain4jExample() throws IOException {
        String test = Files.readString(Path.of(
                "src/test/java/io/github/conversationstore/langchain4j/ReadmeExampleTest.java"));
        String readme = Files.readString(Path.of("../README.md"));
        String start = "// --- langchain4j ---\n";
        String code = test.substring(test.lastIndexOf(start) + start.length(), test.lastIndexOf("// --- end langchain4j ---"));

        assertThat(normalized(readme)).contains(normalized(code));
        assertThat(readme.indexOf("## LangChain4j")).isPositive().isLessThan(readme.indexOf("## Benchmarks"));
    }

    private static String normalized(String code) {
        return code.replaceAll("\\s+", " ").trim();
    }

    @Test
    void langchain4jExample_runs() {
        String connectionString = Stores.server().connectionString();
        ChatModel model = new Scripted.Model();
        // --- langchain4j ---
        try (ConversationStore store = MongoConversationStore.builder()
                .connectionString(connectionString) // e.g. "mongodb://localhost:27017"
                .database("tutor")
                .build()) {

            // AiServices: one ChatMemory per @MemoryId; each message is appended exactly once.
            ChatMemoryProvider memories = ConversationStoreChatMemoryProvider.builder()
                    .store(store)
                    .language("en")
                    .window(20) // the last 20 messages go to the model; the history stays whole
                    .build();
            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(model)
                    .chatMemoryProvider(memories)
                    .tools(new WeatherTools())
                    .build();
            String answer = assistant.chat("conv-1", "Paris");

            // Or keep MessageWindowChatMemory and change only its store.
            ChatMemoryStore memoryStore = ConversationStoreChatMemoryStore.builder()
                    .store(store)
                    .language("en")
                    .build();
            ChatMemoryProvider windows = memoryId -> MessageWindowChatMemory.builder()
                    .id(memoryId)
                    .maxMessages(20)
                    .chatMemoryStore(memoryStore)
                    .build();
            // --- end langchain4j ---

            Assistant second = AiServices.builder(Assistant.class)
                    .chatModel(model).chatMemoryProvider(windows).tools(new WeatherTools()).build();
            assertThat(answer).isEqualTo("The weather: sunny in Paris");
            assertThat(second.chat("conv-2", "Lima")).isEqualTo("The weather: sunny in Lima");
            assertThat(store.findConversation("conv-1").orElseThrow().messageCount()).isEqualTo(5);
            assertThat(store.findConversation("conv-2").orElseThrow().messageCount()).isEqualTo(5);
        }
    }
}
