package io.github.conversationstore.issues;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;

/** Store factories for the regression tests: those of {@link io.github.conversationstore.testing.BothStores}. */
final class BothStores {
    private BothStores() {}

    static EmbeddedMongo server() {
        return io.github.conversationstore.testing.BothStores.server();
    }

    static ConversationStore mongo(String collection) {
        return io.github.conversationstore.testing.BothStores.mongo(collection);
    }

    static Stream<Named<Supplier<ConversationStore>>> both() {
        return io.github.conversationstore.testing.BothStores.both();
    }
}
