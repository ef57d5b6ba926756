package io.github.conversationstore;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** One embedded server and one plain client per test class. */
abstract class EmbeddedMongoTestBase {
    static EmbeddedMongo server;
    static MongoClient client;

    @BeforeAll
    static void startEmbeddedServer() {
        server = new EmbeddedMongo();
        client = MongoClients.create(server.connectionString());
    }

    @AfterAll
    static void stopEmbeddedServer() {
        client.close();
        server.close();
    }
}
