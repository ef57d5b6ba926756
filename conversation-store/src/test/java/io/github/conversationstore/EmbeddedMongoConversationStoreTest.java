package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongo;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract on the embedded mongo-java-server: always runs. */
class EmbeddedMongoConversationStoreTest extends AbstractMongoConversationStoreContractTest {
    private static EmbeddedMongo server;

    @BeforeAll
    static void startServer() {
        server = new EmbeddedMongo();
        connect(server.connectionString());
    }

    @AfterAll
    static void stopServer() {
        disconnect();
        server.close();
    }
}
