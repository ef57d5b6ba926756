package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The ways to give the store its MongoDB: client, connection string, client settings, database. */
class MongoConversationStoreBuilderTest extends EmbeddedMongoTestBase {

    @Test
    void clientSettings_areUsedForTheClientTheStoreCreates() {
        List<String> commands = new CopyOnWriteArrayList<>();
        MongoClientSettings settings = MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(server.connectionString()))
                .addCommandListener(new CommandListener() {
                    @Override
                    public void commandStarted(CommandStartedEvent event) {
                        commands.add(event.getCommandName());
                    }
                })
                .build();
        try (MongoConversationStore store = MongoConversationStore.builder().clientSettings(settings)
                .database("builder").collection("settings" + System.nanoTime()).build()) {
            store.appendMessages("s", "en", List.of(Message.user("hi")));
        }

        assertThat(commands).contains("findAndModify");
    }

    @Test
    void database_isUsedWithItsClient() {
        String collection = "db" + System.nanoTime();
        try (MongoConversationStore store = MongoConversationStore.builder()
                .database(client.getDatabase("builder"), client).collection(collection).build()) {
            store.appendMessages("s", "en", List.of(Message.user("hi")));

            assertThat(client.getDatabase("builder").getCollection(collection).countDocuments()).isEqualTo(1);
            assertThat(store.recentMessages("s", 5)).extracting(StoredMessage::text).containsExactly("hi");
        }
        // the caller's client stays open
        assertThat(client.getDatabase("builder").getCollection(collection).countDocuments()).isEqualTo(1);
    }

    @Test
    void invalidDatabaseNames_areRefusedInTheLibrarysWords() {
        assertThatThrownBy(() -> MongoConversationStore.builder().client(client).database("my tutor").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("database must not contain spaces").hasMessageContaining("my tutor");
        assertThatThrownBy(() -> MongoConversationStore.builder().client(client).database("a.b").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("database");
        assertThatThrownBy(() -> MongoConversationStore.builder().client(client).database("x".repeat(64)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 to 63 characters");
    }

    @Test
    void missingOrDoubleSources_areNamed() {
        assertThatThrownBy(() -> MongoConversationStore.builder().database("d").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("exactly one of client");
        assertThatThrownBy(() -> MongoConversationStore.builder().client(client)
                .connectionString(server.connectionString()).database("d").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("exactly one of client");
        assertThatThrownBy(() -> MongoConversationStore.builder().client(client).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("database is required");
    }
}
