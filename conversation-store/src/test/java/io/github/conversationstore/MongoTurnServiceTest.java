package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongo;

/**
 * Turns on the embedded server through two stores, each with its own client (built from the
 * connection string), standing for two processes.
 */
class MongoTurnServiceTest extends AbstractTurnServiceTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();

    @Override
    protected ConversationStore[] createStores() {
        String collection = "turns" + System.nanoTime();
        return new ConversationStore[] {store(collection), store(collection)};
    }

    private static ConversationStore store(String collection) {
        return MongoConversationStore.builder().connectionString(SERVER.connectionString()).database("turns")
                .collection(collection).build();
    }
}
