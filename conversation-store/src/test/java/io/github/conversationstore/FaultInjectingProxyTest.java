package io.github.conversationstore;

import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.MongoSocketException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import io.github.conversationstore.testing.FaultInjectingProxy.Fault;
import io.github.conversationstore.testing.FaultInjectingProxy.RandomFaults;
import java.time.Duration;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy's random mode: each kind of fault does what it says, and monitoring is left alone. */
class FaultInjectingProxyTest extends EmbeddedMongoTestBase {
    private FaultInjectingProxy proxy;
    private MongoClient proxied;
    private MongoCollection<Document> throughProxy;
    private MongoCollection<Document> direct;

    @BeforeEach
    void connectThroughProxy() throws Exception {
        proxy = new FaultInjectingProxy(server.port());
        proxied = MongoClients.create(proxy.clientSettings(Duration.ofSeconds(2)));
        String collection = "proxy" + System.nanoTime();
        throughProxy = proxied.getDatabase("proxy").getCollection(collection);
        direct = client.getDatabase("proxy").getCollection(collection);
    }

    @AfterEach
    void disconnect() throws Exception {
        proxied.close();
        proxy.close();
    }

    private static RandomFaults only(double drop, double hold, double reset) {
        return new RandomFaults(1, drop, hold, reset, 0, Duration.ofMillis(300), Duration.ofMillis(300), Duration.ZERO);
    }

    @Test
    void randomReset_requestNeverApplied_monitoringStillWorks() {
        proxy.startRandom(only(0, 0, 1));

        assertThatThrownBy(() -> throughProxy.insertOne(new Document("_id", 1))).isInstanceOf(MongoSocketException.class);

        assertThat(direct.countDocuments()).isZero();
        assertThat(proxy.injectedByKind().get(Fault.RESET_BEFORE_FORWARD)).isPositive();
        proxy.stopRandom();
        throughProxy.insertOne(new Document("_id", 2));
        assertThat(direct.countDocuments()).isEqualTo(1);
    }

    @Test
    void randomDrop_requestAppliedButReplyLost() {
        proxy.startRandom(only(1, 0, 0));

        assertThatThrownBy(() -> throughProxy.insertOne(new Document("_id", 1))).isInstanceOf(MongoSocketException.class);

        assertThat(direct.countDocuments()).isEqualTo(1);
        assertThat(proxy.injectedByKind().get(Fault.DROP_REPLY_AFTER_APPLY)).isPositive();
    }

    @Test
    void randomHold_replyArrivesLateButIntact() {
        proxy.startRandom(only(0, 1, 0));
        long started = System.nanoTime();

        throughProxy.insertOne(new Document("_id", 1));

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(50));
        assertThat(direct.countDocuments()).isEqualTo(1);
        assertThat(proxy.injectedByKind().get(Fault.HOLD_REPLY)).isPositive();
        assertThat(proxy.injected()).isEqualTo(proxy.injectedByKind().values().stream().mapToLong(Long::longValue).sum());
    }
}
