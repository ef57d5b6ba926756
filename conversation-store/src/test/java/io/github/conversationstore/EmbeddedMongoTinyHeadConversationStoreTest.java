package io.github.conversationstore;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The contract on the embedded server with heads of at most 4 messages and 2 KiB, so that almost
 * every append moves messages to the archive: every contract test, the concurrent ones included,
 * then runs across the head/archive boundary.
 */
class EmbeddedMongoTinyHeadConversationStoreTest extends AbstractMongoConversationStoreContractTest {
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

    @Override
    protected MongoConversationStore.Builder configure(MongoConversationStore.Builder builder) {
        return builder.maxHeadMessages(4).maxHeadBytes(2048);
    }
}
