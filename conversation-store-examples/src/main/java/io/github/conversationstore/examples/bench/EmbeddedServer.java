package io.github.conversationstore.examples.bench;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

/** The embedded MongoDB server every benchmark runs on: in memory, on a free local port. */
final class EmbeddedServer {
    private EmbeddedServer() {}

    /** Starts a server; the caller shuts it down ({@link MongoServer#shutdownNow()}). */
    static MongoServer start() {
        MongoServer server = new MongoServer(new MemoryBackend());
        server.bind("127.0.0.1", 0);
        return server;
    }

    /** The connection string of a started server. */
    static String uri(MongoServer server) {
        return "mongodb://127.0.0.1:" + server.getLocalAddress().getPort();
    }
}
