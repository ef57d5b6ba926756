package io.github.conversationstore;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.mongodb.MongoDBContainer;

/** The contract on a real MongoDB replica set from Testcontainers; skipped when there is no Docker. */
class ContainerMongoConversationStoreIT extends AbstractMongoConversationStoreContractTest {
    private static MongoDBContainer mongo;

    @BeforeAll
    static void startContainer() {
        if (!dockerAvailable()) {
            skipAll("Docker is not available: the contract on a real MongoDB (Testcontainers) did not run");
            return;
        }
        mongo = new MongoDBContainer("mongo:7.0");
        mongo.start();
        connect(mongo.getReplicaSetUrl());
    }

    @AfterAll
    static void stopContainer() {
        disconnect();
        if (mongo != null) {
            mongo.stop();
        }
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }
}
