package io.github.conversationstore.testing;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
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

    /** A new client of this server (one per simulated application instance), with these listeners. */
    public MongoClient client(CommandListener... listeners) {
        MongoClientSettings.Builder settings = MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(connectionString()));
        for (CommandListener listener : listeners) {
            settings.addCommandListener(listener);
        }
        return MongoClients.create(settings.build());
    }

    public int port() {
        return address.getPort();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
