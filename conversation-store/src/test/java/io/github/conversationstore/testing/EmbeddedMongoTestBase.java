package io.github.conversationstore.testing;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** One embedded server and one plain client per test class. */
public abstract class EmbeddedMongoTestBase {
    protected static EmbeddedMongo server;
    protected static MongoClient client;

    @BeforeAll
    protected static void startEmbeddedServer() {
        server = new EmbeddedMongo();
        client = MongoClients.create(server.connectionString());
    }

    @AfterAll
    protected static void stopEmbeddedServer() {
        client.close();
        server.close();
    }
}
