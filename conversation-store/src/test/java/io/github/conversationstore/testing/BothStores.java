package io.github.conversationstore.testing;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.MongoConversationStore;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;

/**
 * Store factories for tests that run against both stores: in memory and MongoDB (one embedded
 * wire-protocol server for the JVM, a new collection per store).
 */
public final class BothStores {
    private static EmbeddedMongo server;

    private BothStores() {}

    /** The shared embedded server, started on first use. */
    public static synchronized EmbeddedMongo server() {
        if (server == null) {
            server = new EmbeddedMongo();
        }
        return server;
    }

    /** A MongoDB store on the shared server, in the database {@code review}. */
    public static ConversationStore mongo(String collection) {
        return MongoConversationStore.builder().connectionString(server().connectionString()).database("review")
                .collection(collection).build();
    }

    /** Both stores, named for the test report; the MongoDB one on a new collection each time. */
    public static Stream<Named<Supplier<ConversationStore>>> both() {
        return Stream.of(
                Named.of("in-memory", InMemoryConversationStore::create),
                Named.of("mongo", () -> mongo("c" + System.nanoTime())));
    }
}
