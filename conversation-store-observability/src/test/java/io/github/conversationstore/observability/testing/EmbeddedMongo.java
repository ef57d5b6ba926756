package io.github.conversationstore.observability.testing;

// A copy of the core module's test helper of the same name (its tests are not published as a jar).

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;

/** An in-process MongoDB wire-protocol server (mongo-java-server) on a free loopback port. */
public final class EmbeddedMongo implements AutoCloseable {
    private final MongoServer server = new MongoServer(new MemoryBackend());
    private final InetSocketAddress address;

    public EmbeddedMongo() {
        server.bind("127.0.0.1", 0);
        address = server.getLocalAddress();
    }

    public String connectionString() {
        return "mongodb://127.0.0.1:" + address.getPort();
    }

    public int port() {
        return address.getPort();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
