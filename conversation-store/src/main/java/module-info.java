/**
 * conversation-store: concurrency-safe, exactly-once, ordered and unbounded storage of chat
 * conversations in MongoDB.
 *
 * <p>The API lives in {@code io.github.conversationstore}, the reply-provider SPI in
 * {@code io.github.conversationstore.spi}; everything else is package-private.
 */
module io.github.conversationstore {
    requires transitive org.mongodb.driver.sync.client;
    requires transitive org.mongodb.driver.core;
    requires transitive org.mongodb.bson;
    requires transitive com.fasterxml.jackson.annotation;

    exports io.github.conversationstore;
    exports io.github.conversationstore.spi;

    uses io.github.conversationstore.spi.ReplyProvider;

    // Jackson (or any JSON binder) reads the value records reflectively, package-private creators included
    opens io.github.conversationstore;
}
