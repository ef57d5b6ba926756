package io.github.conversationstore.issues;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;

/** Store factories for the review tests: in memory and MongoDB (embedded wire-protocol server). */
final class BothStores {
    private static EmbeddedMongo server;

    private BothStores() {}

    static synchronized EmbeddedMongo server() {
        if (server == null) {
            server = new EmbeddedMongo();
        }
        return server;
    }

    static ConversationStore mongo(String collection) {
        return MongoConversationStore.builder().connectionString(server().connectionString()).database("review")
                .collection(collection).build();
    }

    static Stream<Named<Supplier<ConversationStore>>> both() {
        return Stream.of(
                Named.of("in-memory", InMemoryConversationStore::create),
                Named.of("mongo", () -> mongo("c" + System.nanoTime())));
    }
}
