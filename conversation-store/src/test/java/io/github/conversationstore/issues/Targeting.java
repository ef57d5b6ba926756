package io.github.conversationstore.issues;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.ShardKeyChecker;
import java.util.function.Consumer;

/** Runs a workload on a client whose every command a {@link ShardKeyChecker} judges. */
final class Targeting {
    private Targeting() {}

    static ShardKeyChecker record(EmbeddedMongo server, Consumer<MongoClient> workload) {
        ShardKeyChecker checker = new ShardKeyChecker();
        try (MongoClient recorded = server.client(checker)) {
            workload.accept(recorded);
        }
        return checker;
    }
}
