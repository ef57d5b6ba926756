package io.github.conversationstore;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.mongodb.MongoDBContainer;

/**
 * The streaming turns on a real replica set (Testcontainers), where followers wake through change
 * streams instead of polling: the same tests as on the embedded server, which has none. Skipped,
 * with the reason, where Docker is absent.
 */
class ContainerStreamingTurnIT extends AbstractStreamingTurnTest {
    private static MongoDBContainer mongo;

    private static final String NO_DOCKER = "Docker is not available: streaming turns on a real replica set"
            + " (Testcontainers) did not run";

    @BeforeAll
    static void startContainer() {
        if (!ContainerMongoConversationStoreIT.dockerAvailable()) {
            System.err.println("SKIPPED: " + NO_DOCKER);
            return;
        }
        mongo = new MongoDBContainer(System.getProperty("mongodb.image", ContainerMongoConversationStoreIT.DEFAULT_IMAGE)
                .trim()).withReplicaSet();
        mongo.start();
    }

    @AfterAll
    static void stopContainer() {
        if (mongo != null) {
            mongo.stop();
            mongo = null;
        }
    }

    @Override
    protected ConversationStore[] createStores() {
        assumeTrue(mongo != null, NO_DOCKER);
        String collection = "streaming" + System.nanoTime();
        return new ConversationStore[] {store(collection), store(collection)};
    }

    private static ConversationStore store(String collection) {
        return MongoConversationStore.builder().connectionString(mongo.getReplicaSetUrl()).database("streaming")
                .collection(collection).build();
    }
}
