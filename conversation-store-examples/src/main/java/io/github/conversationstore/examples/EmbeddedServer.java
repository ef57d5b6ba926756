package io.github.conversationstore.examples;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;

/**
 * An embedded MongoDB-compatible server (mongo-java-server) on a free loopback port: in memory, or
 * kept in a file across runs.
 */
final class EmbeddedServer implements AutoCloseable {
    private final MongoServer server;
    private final InetSocketAddress address;

    private EmbeddedServer(MongoBackend backend) {
        server = new MongoServer(backend);
        server.bind("127.0.0.1", 0);
        address = server.getLocalAddress();
    }

    static EmbeddedServer inMemory() {
        return new EmbeddedServer(new MemoryBackend());
    }

    /** A server whose data lives in this file (created if missing). */
    static EmbeddedServer inFile(String file) {
        return new EmbeddedServer(new H2Backend(file));
    }

    String connectionString() {
        return "mongodb://127.0.0.1:" + address.getPort();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
