package io.github.conversationstore.springai;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Token windows of the chat memory on MongoDB (the embedded server), a fresh database per test. */
class EmbeddedMongoTokenWindowTest extends AbstractTokenWindowTest {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedMongo server;
    private static MongoClient client;

    @BeforeAll
    static void start() {
        server = new EmbeddedMongo();
        client = MongoClients.create(server.connectionString());
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    @Override
    protected ConversationStore newStore() {
        return MongoConversationStore.builder().client(client).database("tokens" + DATABASES.incrementAndGet()).build();
    }
}
