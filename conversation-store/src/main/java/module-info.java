/**
 * conversation-store: concurrency-safe, exactly-once, ordered and unbounded storage of chat
 * conversations in MongoDB.
 *
 * <p>The API lives in {@code io.github.conversationstore}; everything else is internal.
 */
module io.github.conversationstore {
    requires transitive org.mongodb.driver.sync.client;
    requires transitive org.mongodb.driver.core;
    requires transitive org.mongodb.bson;
    requires static com.fasterxml.jackson.annotation;

    exports io.github.conversationstore;

    // Jackson (or any JSON binder) reads the value records reflectively, package-private creators included
    opens io.github.conversationstore;
}
