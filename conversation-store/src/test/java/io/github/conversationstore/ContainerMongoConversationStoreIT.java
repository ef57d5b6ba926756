package io.github.conversationstore;

import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.mongodb.MongoDBContainer;

/**
 * The contract on a real MongoDB from Testcontainers; skipped when there is no Docker.
 *
 * <p>System properties (Maven passes {@code -D} options of the command line on to the tests):
 * <ul>
 *   <li>{@code mongodb.image}: the Docker image, default {@value #DEFAULT_IMAGE} (any {@code mongo},
 *       {@code mongodb/mongodb-community-server} or {@code mongodb/mongodb-enterprise-server} tag);
 *   <li>{@code mongodb.topology}: {@code replicaset} (default: a single-node replica set),
 *       {@code sharded} (Testcontainers' sharding mode: one config server, one shard, and a
 *       {@code mongos} the test connects to, all in one container; no collection is sharded there:
 *       the sharded cluster of two shards, with both collections sharded, is {@link ShardedClusterIT})
 *       or {@code standalone}.
 * </ul>
 * For example {@code ./mvnw verify -Dmongodb.image=mongo:8.0 -Dmongodb.topology=sharded}.
 */
class ContainerMongoConversationStoreIT extends AbstractMongoConversationStoreContractTest {
    static final String DEFAULT_IMAGE = "mongo:7.0";

    private static MongoDBContainer mongo;

    /** The server layouts the test can start. */
    enum Topology {
        REPLICASET, SHARDED, STANDALONE;

        static Topology parse(String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("mongodb.topology must be replicaset, sharded or standalone, not \""
                        + value + "\"", e);
            }
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    @BeforeAll
    static void startContainer() {
        // read (and check) the settings first, so that a misspelt value fails here too and not only where Docker is
        String image = System.getProperty("mongodb.image", DEFAULT_IMAGE).trim();
        Topology topology = Topology.parse(System.getProperty("mongodb.topology", "replicaset"));
        String server = image + ", " + topology;
        if (!dockerAvailable()) {
            skipAll("Docker is not available: the contract on a real MongoDB (Testcontainers, " + server
                    + ") did not run");
            return;
        }
        mongo = new MongoDBContainer(image);
        switch (topology) {
            // Testcontainers 2's org.testcontainers.mongodb.MongoDBContainer starts a standalone mongod
            // unless told otherwise
            case REPLICASET -> mongo.withReplicaSet();
            case SHARDED -> mongo.withSharding().withStartupTimeout(Duration.ofMinutes(3));
            case STANDALONE -> { }
        }
        mongo.start();
        System.err.println("Testcontainers MongoDB: " + server);
        connect(mongo.getReplicaSetUrl());
    }

    @AfterAll
    static void stopContainer() {
        disconnect();
        if (mongo != null) {
            mongo.stop();
            mongo = null;
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
