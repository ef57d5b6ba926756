package io.github.conversationstore.springai.issues;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.springai.ConversationStoreChatMemory;
import io.github.conversationstore.springai.ConversationStoreChatMemoryRepository;
import io.github.conversationstore.springai.autoconfigure.ConversationStoreAutoConfiguration;
import io.github.conversationstore.springai.autoconfigure.ConversationStoreChatMemoryAutoConfiguration;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Issue 27 item 4: a reply over 64 KiB or a tool result over 256 KiB made {@code ChatMemory.add}
 * throw after the model had answered, so the answer was lost; no adapter setting or Boot property
 * set the limits.
 */
class AnswerLostToALimitTest {
    private static final String LONG_REPLY = "word ".repeat(20_000); // 100,000 bytes
    private static final String HUGE_RESULT = "{\"rows\":\"" + "x".repeat(300_000) + "\"}";

    private static ToolResponseMessage result(String content) {
        return ToolResponseMessage.builder()
                .responses(List.of(new ToolResponseMessage.ToolResponse("call_1", "lookup", content))).build();
    }

    private static AssistantMessage call() {
        return AssistantMessage.builder().content("").toolCalls(
                List.of(new AssistantMessage.ToolCall("call_1", "function", "lookup", "{}"))).build();
    }

    @Test
    void chatMemory_replyAndToolResultOverTheLimits_areStoredCutToFit_withAMarker() {
        ConversationStore store = InMemoryConversationStore.create();
        ChatMemory memory = ConversationStoreChatMemory.builder(store).build();

        memory.add("c", List.of(new UserMessage("q")));
        memory.add("c", List.of(call()));
        memory.add("c", List.of(result(HUGE_RESULT)));
        memory.add("c", List.of(new AssistantMessage(LONG_REPLY)));

        List<StoredMessage> stored = store.readMessages("c", 0, 10);
        assertThat(stored).hasSize(4);
        String reply = stored.get(3).text();
        assertThat(reply.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(ConversationStore.DEFAULT_MAX_TEXT_BYTES);
        assertThat(reply).startsWith(LONG_REPLY.substring(0, 60_000)).endsWith(" of 100000 bytes kept]");
        String content = stored.get(2).message().toolResults().get(0).content();
        assertThat(content).startsWith(HUGE_RESULT.substring(0, 200_000)).contains("bytes kept]");
        List<Message> window = memory.get("c");
        assertThat(window.get(3).getText()).isEqualTo(reply);
        assertThat(window.get(3).getMetadata()).doesNotContainKey("%springAi");
    }

    @Test
    void raisedLimits_inTheStoreAndTheAdapter_keepTheReplyWhole() {
        ConversationStore store = InMemoryConversationStore.builder().maxTextBytes(200_000).maxMessageBytes(1_000_000).build();
        ChatMemory memory = ConversationStoreChatMemory.builder(store).maxTextBytes(200_000).maxMessageBytes(1_000_000).build();
        ConversationStoreChatMemoryRepository repository = ConversationStoreChatMemoryRepository.builder(store)
                .maxTextBytes(200_000).maxMessageBytes(1_000_000).build();

        memory.add("c", List.of(new UserMessage("q"), new AssistantMessage(LONG_REPLY)));
        repository.saveAll("r", List.of(new UserMessage("q"), call(), result(HUGE_RESULT)));

        assertThat(store.readMessages("c", 0, 10).get(1).text()).isEqualTo(LONG_REPLY);
        assertThat(store.readMessages("r", 0, 10).get(2).message().toolResults().get(0).content()).isEqualTo(HUGE_RESULT);
    }

    @Test
    void bootProperties_setTheLimitsOfTheStoreAndTheMemory() {
        try (EmbeddedMongo server = new EmbeddedMongo()) {
            new ApplicationContextRunner()
                    .withConfiguration(AutoConfigurations.of(ConversationStoreAutoConfiguration.class,
                            ConversationStoreChatMemoryAutoConfiguration.class))
                    .withBean(MongoClient.class, () -> MongoClients.create(server.connectionString()))
                    .withPropertyValues("conversation-store.max-text-bytes=200000",
                            "conversation-store.max-message-bytes=1000000")
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        ChatMemory memory = context.getBean(ChatMemory.class);
                        memory.add("c", List.of(new AssistantMessage(LONG_REPLY)));
                        assertThat(context.getBean(ConversationStore.class).readMessages("c", 0, 1).get(0).text())
                                .isEqualTo(LONG_REPLY);
                        assertThat(Map.of()).isEmpty();
                    });
        }
    }
}
