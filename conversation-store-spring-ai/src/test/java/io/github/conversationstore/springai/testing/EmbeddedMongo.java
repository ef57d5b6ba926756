package io.github.conversationstore.springai.testing;

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

    @Override
    public void close() {
        server.shutdownNow();
    }
}
