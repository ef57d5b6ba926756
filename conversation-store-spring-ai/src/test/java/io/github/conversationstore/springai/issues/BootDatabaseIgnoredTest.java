package io.github.conversationstore.springai.issues;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.springai.autoconfigure.ConversationStoreAutoConfiguration;
import io.github.conversationstore.springai.autoconfigure.ConversationStoreChatMemoryAutoConfiguration;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Issue 18: the database named in {@code spring.data.mongodb.uri} (or
 * {@code spring.data.mongodb.database}) was ignored; data went to {@code conversation_store} unless
 * {@code conversation-store.database} was set.
 */
class BootDatabaseIgnoredTest {
    private static EmbeddedMongo server;

    @BeforeAll
    static void start() {
        server = new EmbeddedMongo();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private void storesInto(String database, String... properties) {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ConversationStoreAutoConfiguration.class,
                        ConversationStoreChatMemoryAutoConfiguration.class))
                .withBean(MongoClient.class, () -> MongoClients.create(server.connectionString()))
                .withPropertyValues(properties)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    context.getBean(ChatMemory.class).add("c-" + database, List.of(new UserMessage("hi")));
                    MongoClient client = context.getBean(MongoClient.class);
                    assertThat(client.getDatabase(database).getCollection("conversations").countDocuments())
                            .as("conversations in %s", database).isPositive();
                });
    }

    @Test
    void onlyTheBootUri_storesIntoItsDatabase() {
        storesInto("mydb", "spring.data.mongodb.uri=" + server.connectionString() + "/mydb");
    }

    @Test
    void bootDatabaseProperty_storesIntoIt() {
        storesInto("otherdb", "spring.data.mongodb.database=otherdb");
    }

    @Test
    void conversationStoreDatabase_overridesBoots() {
        storesInto("ours", "spring.data.mongodb.uri=mongodb://localhost:1/mydb", "conversation-store.database=ours");
    }

    @Test
    void nothingSet_theDefaultDatabase() {
        storesInto("conversation_store");
    }
}
