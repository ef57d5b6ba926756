package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongo;

/** The streaming edges on the embedded server, through two stores with a client each (two processes). */
class MongoStreamingEdgesTest extends AbstractStreamingEdgesTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();

    @Override
    protected ConversationStore[] createStores() {
        String collection = "edges" + System.nanoTime();
        return new ConversationStore[] {store(collection), store(collection)};
    }

    private static ConversationStore store(String collection) {
        return MongoConversationStore.builder().connectionString(SERVER.connectionString()).database("streaming")
                .collection(collection).build();
    }
}
