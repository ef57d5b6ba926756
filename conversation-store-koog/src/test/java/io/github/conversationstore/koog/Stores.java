package io.github.conversationstore.koog;

import io.github.conversationstore.testing.EmbeddedMongo;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.LocalKeyProvider;
import io.github.conversationstore.MongoConversationStore;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** The stores every adapter test runs on: in memory, and MongoDB on an embedded server. */
final class Stores {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedMongo server;

    private Stores() {}

    /** A kind of store; each {@link #open()} gives a new, empty one. */
    record Kind(String name, Supplier<ConversationStore> factory) {
        ConversationStore open() {
            return factory.get();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static synchronized EmbeddedMongo server() {
        if (server == null) {
            server = new EmbeddedMongo();
            Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        }
        return server;
    }

    static String newDatabase() {
        return "koog" + DATABASES.incrementAndGet();
    }

    static Stream<Kind> all() {
        return Stream.of(
                new Kind("in-memory", InMemoryConversationStore::create),
                new Kind("mongodb (embedded server)", () -> MongoConversationStore.builder()
                        .connectionString(server().connectionString()).database(newDatabase()).build()),
                new Kind("in-memory, encrypted", () -> InMemoryConversationStore.builder().encryption(keys()).build()),
                new Kind("mongodb (embedded server), encrypted", () -> MongoConversationStore.builder()
                        .connectionString(server().connectionString()).database(newDatabase()).encryption(keys()).build()));
    }

    /** A key-encryption key for the encrypted kinds: fixed bytes, so that a failure can be replayed. */
    static LocalKeyProvider keys() {
        byte[] kek = new byte[LocalKeyProvider.KEY_BYTES];
        Arrays.fill(kek, (byte) 9);
        return LocalKeyProvider.of("koog-kek", kek);
    }
}
