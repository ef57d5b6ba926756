package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongo;

/** Compaction on the embedded server through two stores with a client each, standing for two processes. */
class MongoCompactionTest extends AbstractCompactionTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();

    @Override
    protected ConversationStore[] createStores() {
        String collection = "compaction" + System.nanoTime();
        return new ConversationStore[] {store(collection), store(collection)};
    }

    private static ConversationStore store(String collection) {
        return MongoConversationStore.builder().connectionString(SERVER.connectionString()).database("compaction")
                .collection(collection).build();
    }
}
