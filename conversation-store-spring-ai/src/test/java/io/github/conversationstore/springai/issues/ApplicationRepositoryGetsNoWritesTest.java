package io.github.conversationstore.springai.issues;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.springai.autoconfigure.ConversationStoreAutoConfiguration;
import io.github.conversationstore.springai.autoconfigure.ConversationStoreChatMemoryAutoConfiguration;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.memory.InMemoryChatMemoryRepository;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.model.chat.memory.autoconfigure.ChatMemoryAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Issue 27 item 7: with the application's own {@code ChatMemoryRepository} bean, the
 * auto-configured {@code ChatMemory} still wrote to the store and the application's repository got
 * 0 writes; Spring AI's own auto-configuration builds its memory on the application's repository.
 */
class ApplicationRepositoryGetsNoWritesTest {

    @Test
    void applicationsOwnRepository_theAutoConfiguredChatMemoryWritesToIt() {
        InMemoryChatMemoryRepository own = new InMemoryChatMemoryRepository();
        try (EmbeddedMongo server = new EmbeddedMongo()) {
            new ApplicationContextRunner()
                    .withConfiguration(AutoConfigurations.of(ConversationStoreAutoConfiguration.class,
                            ConversationStoreChatMemoryAutoConfiguration.class, ChatMemoryAutoConfiguration.class))
                    .withBean(MongoClient.class, () -> MongoClients.create(server.connectionString()))
                    .withBean(ChatMemoryRepository.class, () -> own)
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        assertThat(context.getBean(ChatMemoryRepository.class)).isSameAs(own);
                        context.getBean(ChatMemory.class).add("c", List.of(new UserMessage("hi")));
                        assertThat(own.findByConversationId("c")).hasSize(1);
                    });
        }
    }
}
