package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.github.conversationstore.testing.ShardKeyChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.BsonMaxKey;
import org.bson.BsonMinKey;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The contract, erasure, retention and turns on a real sharded cluster from Testcontainers: a
 * config server, two shards (each a one-node replica set) and a {@code mongos}, in four
 * containers. Every collection a test uses is sharded with the documented keys (docs/SHARDING.md:
 * heads {@code {sessionId: 1}}, unique; archive {@code {sessionId: 1, _id: 1}}), split at
 * {@code sessionId: "s1"} and its upper chunk moved to the other shard, so that the sessions of a
 * test ({@code "s"}, {@code "a"} below the split, {@code "s1"}, {@code "s2"}, {@code "t"} above)
 * live on both shards. A collection that is not sharded, or whose chunks are not on both shards,
 * fails the test. Skipped when there is no Docker.
 *
 * <p>{@code mongodb.image} chooses the server (default {@value ContainerMongoConversationStoreIT#DEFAULT_IMAGE});
 * for example {@code ./mvnw -pl conversation-store -am verify -Dit.test=ShardedClusterIT -Dmongodb.image=mongo:6.0}.
 */
class ShardedClusterIT extends AbstractMongoConversationStoreContractTest {
    private static final String DATABASE = "contract";
    private static final String SPLIT = "s1";
    private static final AtomicInteger COLLECTIONS = new AtomicInteger();
    private static Network network;
    private static final List<GenericContainer<?>> CONTAINERS = new ArrayList<>();
    private static MongoClient admin;
    private static String connectionString;

    @BeforeAll
    static void startCluster() {
        String image = System.getProperty("mongodb.image", ContainerMongoConversationStoreIT.DEFAULT_IMAGE).trim();
        if (!ContainerMongoConversationStoreIT.dockerAvailable()) {
            skipAll("Docker is not available: the sharded cluster (Testcontainers, " + image
                    + ", 2 shards) did not run");
            return;
        }
        network = Network.newNetwork();
        GenericContainer<?> config = mongod(image, "cfg", "--configsvr", "--replSet", "cfg", "--port", "27019");
        GenericContainer<?> shard1 = mongod(image, "sh1", "--shardsvr", "--replSet", "sh1", "--port", "27018");
        GenericContainer<?> shard2 = mongod(image, "sh2", "--shardsvr", "--replSet", "sh2", "--port", "27018");
        initiate(config, "cfg", "cfg:27019", 27019, true);
        initiate(shard1, "sh1", "sh1:27018", 27018, false);
        initiate(shard2, "sh2", "sh2:27018", 27018, false);
        GenericContainer<?> mongos = new GenericContainer<>(image).withNetwork(network).withNetworkAliases("mongos")
                .withExposedPorts(27017)
                .withCommand("mongos", "--configdb", "cfg/cfg:27019", "--bind_ip_all", "--port", "27017")
                .waitingFor(Wait.forLogMessage("(?i).*waiting for connections.*", 1))
                .withStartupTimeout(Duration.ofMinutes(3));
        mongos.start();
        CONTAINERS.add(mongos);
        connectionString = "mongodb://" + mongos.getHost() + ":" + mongos.getMappedPort(27017);
        admin = MongoClients.create(connectionString);
        MongoDatabase adminDb = admin.getDatabase("admin");
        adminDb.runCommand(new Document("addShard", "sh1/sh1:27018").append("name", "sh1"));
        adminDb.runCommand(new Document("addShard", "sh2/sh2:27018").append("name", "sh2"));
        System.err.println("Testcontainers MongoDB: " + image + ", sharded cluster of 2 shards");
        connect(connectionString);
    }

    @AfterAll
    static void stopCluster() {
        disconnect();
        if (admin != null) {
            admin.close();
            admin = null;
        }
        for (int i = CONTAINERS.size() - 1; i >= 0; i--) {
            CONTAINERS.get(i).stop();
        }
        CONTAINERS.clear();
        if (network != null) {
            network.close();
            network = null;
        }
    }

    private static GenericContainer<?> mongod(String image, String alias, String... args) {
        List<String> command = new ArrayList<>(List.of("mongod", "--bind_ip_all"));
        command.addAll(List.of(args));
        int port = Integer.parseInt(args[args.length - 1]);
        GenericContainer<?> c = new GenericContainer<>(image).withNetwork(network).withNetworkAliases(alias)
                .withExposedPorts(port)
                .withCommand(command.toArray(String[]::new))
                .waitingFor(Wait.forLogMessage("(?i).*waiting for connections.*", 1))
                .withStartupTimeout(Duration.ofMinutes(3));
        c.start();
        CONTAINERS.add(c);
        return c;
    }

    /** Initiates a one-node replica set (as the cluster names it) and waits until it has a primary. */
    private static void initiate(GenericContainer<?> c, String name, String host, int port, boolean configServer) {
        String direct = "mongodb://" + c.getHost() + ":" + c.getMappedPort(port) + "/?directConnection=true";
        try (MongoClient node = MongoClients.create(direct)) {
            Document config = new Document("_id", name).append("members", List.of(new Document("_id", 0).append("host", host)));
            if (configServer) {
                config.append("configsvr", true);
            }
            node.getDatabase("admin").runCommand(new Document("replSetInitiate", config));
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!Boolean.TRUE.equals(node.getDatabase("admin").runCommand(new Document("isMaster", 1)).getBoolean("ismaster"))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("replica set " + name + " elected no primary within 2 minutes");
                }
                sleep(200);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Shards the store's two collections of {@code database} with the documented keys, splits them
     * at {@link #SPLIT}, moves the upper chunk to the other shard, and checks that both are sharded
     * with chunks on both shards.
     */
    static void shard(String database, String collection) {
        MongoDatabase adminDb = admin.getDatabase("admin");
        adminDb.runCommand(new Document("enableSharding", database));
        String heads = database + "." + collection;
        String archive = heads + "_archive";
        adminDb.runCommand(new Document("shardCollection", heads).append("key", new Document("sessionId", 1)).append("unique", true));
        adminDb.runCommand(new Document("shardCollection", archive).append("key", new Document("sessionId", 1).append("_id", 1)));
        adminDb.runCommand(new Document("shardCollection", heads + "_summaries").append("key", new Document("sessionId", 1)));
        adminDb.runCommand(new Document("split", heads).append("middle", new Document("sessionId", SPLIT)));
        adminDb.runCommand(new Document("split", archive).append("middle",
                new Document("sessionId", SPLIT).append("_id", new BsonMinKey())));
        String primary = admin.getDatabase("config").getCollection("databases").find(new Document("_id", database)).first()
                .getString("primary");
        String other = primary.equals("sh1") ? "sh2" : "sh1";
        adminDb.runCommand(new Document("moveChunk", heads).append("find", new Document("sessionId", "t"))
                .append("to", other).append("_waitForDelete", true));
        adminDb.runCommand(new Document("moveChunk", archive).append("bounds", List.of(
                        new Document("sessionId", SPLIT).append("_id", new BsonMinKey()),
                        new Document("sessionId", new BsonMaxKey()).append("_id", new BsonMaxKey())))
                .append("to", other).append("_waitForDelete", true));
        checkSharded(heads, new Document("sessionId", 1));
        checkSharded(archive, new Document("sessionId", 1).append("_id", 1));
    }

    /** Fails unless {@code namespace} is sharded on {@code key} with chunks on both shards. */
    private static void checkSharded(String namespace, Document key) {
        Document collection = admin.getDatabase("config").getCollection("collections")
                .find(new Document("_id", namespace)).first();
        assertThat(collection).as(namespace + " is sharded").isNotNull();
        assertThat(collection.get("key", Document.class)).as("shard key of " + namespace).isEqualTo(key);
        // config.chunks names the collection by ns before 5.0 and by uuid since
        Document filter = collection.get("uuid") != null ? new Document("uuid", collection.get("uuid"))
                : new Document("ns", namespace);
        Set<String> shards = new HashSet<>();
        admin.getDatabase("config").getCollection("chunks").find(filter).forEach(c -> shards.add(c.getString("shard")));
        assertThat(shards).as("shards owning chunks of " + namespace).containsExactlyInAnyOrder("sh1", "sh2");
    }

    @Override
    protected MongoConversationStore.Builder configure(MongoConversationStore.Builder builder) {
        String collection = "sharded_" + System.nanoTime() + "_" + COLLECTIONS.incrementAndGet();
        shard(DATABASE, collection);
        return builder.collection(collection);
    }

    @Test
    void everyOperation_onCollectionsShardedOverTwoShards_targetedAndCorrect() throws Exception {
        assumeTrue(admin != null, "Docker is not available: the sharded cluster did not run");
        String database = "workload" + System.nanoTime();
        shard(database, "conversations");
        shard(database + "_old", "conversations");
        ShardKeyChecker checker = new ShardKeyChecker();
        try (MongoClient recorded = MongoClients.create(com.mongodb.MongoClientSettings.builder()
                .applyConnectionString(new com.mongodb.ConnectionString(connectionString))
                .addCommandListener(checker).build())) {
            // appends, moves, reads, leases, erasure (the tombstone's findAndModify), revive, the
            // sweep after heads removed as the TTL monitor does, a tool turn, and the original
            // backend's documents adopted: on sessions of both shards
            ShardKeyTargetingTest.drive(recorded, admin, database, "conversations");
            ShardKeyTargetingTest.driveOriginalBackend(recorded, admin, database + "_old");
        }
        assertThat(checker.violations()).isEmpty();
    }

    @Test
    void retention_expiredSessionsOnBothShards_losesTheirArchiveOnly() {
        assumeTrue(admin != null, "Docker is not available: the sharded cluster did not run");
        String collection = "retention" + System.nanoTime();
        shard(DATABASE, collection);
        try (MongoConversationStore store = MongoConversationStore.builder().client(admin).database(DATABASE)
                .collection(collection).maxHeadMessages(4).expireAfterInactivity(Duration.ofDays(1)).build()) {
            for (String session : List.of("a", "s", "s1", "t")) {
                for (int i = 0; i < 5; i++) {
                    store.appendMessages(session, "es", List.of(Message.user(session + " q" + i), Message.assistant(session + " a" + i)));
                }
            }
            // the TTL monitor's work on one session of each shard
            admin.getDatabase(DATABASE).getCollection(collection).deleteOne(new Document("sessionId", "a"));
            admin.getDatabase(DATABASE).getCollection(collection).deleteOne(new Document("sessionId", "t"));
            assertThat(store.removeOrphanedArchives()).isPositive();
            Document archiveOf = new Document();
            for (String gone : List.of("a", "t")) {
                archiveOf.put("sessionId", gone);
                assertThat(admin.getDatabase(DATABASE).getCollection(collection + "_archive").countDocuments(archiveOf)).isZero();
            }
            assertThat(store.readMessages("s", 0, 100)).hasSize(10);
            assertThat(store.readMessages("s1", 0, 100)).hasSize(10);
        }
    }
}
