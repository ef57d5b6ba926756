package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongo;

/**
 * Tool-using turns on the embedded server through two stores, each with its own client, standing
 * for two processes; the tiny heads move steps to the archive in the middle of a turn.
 */
class MongoToolTurnTest extends AbstractToolTurnTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();

    @Override
    protected ConversationStore[] createStores() {
        String collection = "toolturns" + System.nanoTime();
        return new ConversationStore[] {store(collection), store(collection)};
    }

    private static ConversationStore store(String collection) {
        return MongoConversationStore.builder().connectionString(SERVER.connectionString()).database("turns")
                .collection(collection).maxHeadMessages(3).maxHeadBytes(4096).build();
    }
}
