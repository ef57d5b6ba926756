package io.github.conversationstore.langchain4j;

import com.mongodb.MongoClientSettings;
import com.mongodb.ConnectionString;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.github.conversationstore.MongoConversationStore;
import java.net.InetSocketAddress;

/** An in-process MongoDB wire-protocol server (mongo-java-server) on a free loopback port. */
final class EmbeddedMongo implements AutoCloseable {
    private final MongoServer server = new MongoServer(new MemoryBackend());
    private final InetSocketAddress address;

    EmbeddedMongo() {
        server.bind("127.0.0.1", 0);
        address = server.getLocalAddress();
    }

    String connectionString() {
        return "mongodb://127.0.0.1:" + address.getPort();
    }

    /** A new client of this server: one per simulated application instance. */
    MongoClient client(CommandListener... listeners) {
        MongoClientSettings.Builder settings = MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(connectionString()));
        for (CommandListener listener : listeners) {
            settings.addCommandListener(listener);
        }
        return MongoClients.create(settings.build());
    }

    /** A store on its own new client (closed with the store). */
    MongoConversationStore store(String database) {
        return MongoConversationStore.builder().connectionString(connectionString()).database(database).build();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
