package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongo;

/** Branching turns on the embedded server through two stores, each with its own client. */
class MongoBranchTurnTest extends AbstractBranchTurnTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();

    @Override
    protected ConversationStore[] createStores() {
        String collection = "branches" + System.nanoTime();
        return new ConversationStore[] {store(collection), store(collection)};
    }

    private static ConversationStore store(String collection) {
        return MongoConversationStore.builder().connectionString(SERVER.connectionString()).database("branches")
                .collection(collection).maxHeadMessages(4).build();
    }
}
