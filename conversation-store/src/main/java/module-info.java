/**
 * conversation-store: concurrency-safe, exactly-once, ordered and unbounded storage of chat
 * conversations in MongoDB.
 *
 * <p>The API lives in {@code io.github.conversationstore}, the reply-provider SPI in
 * {@code io.github.conversationstore.spi}; everything else is package-private.
 */
@SuppressWarnings("module") // the adapters are automatic modules, not known when the core is compiled
module io.github.conversationstore {
    requires transitive org.mongodb.driver.sync.client;
    requires transitive org.mongodb.driver.core;
    requires transitive org.mongodb.bson;
    requires transitive com.fasterxml.jackson.annotation;

    exports io.github.conversationstore;
    exports io.github.conversationstore.spi;
    // may change without notice: for the adapters only (their automatic module names)
    exports io.github.conversationstore.internal to
            io.github.conversationstore.springai,
            io.github.conversationstore.langchain4j;

    uses io.github.conversationstore.spi.ReplyProvider;

    // Jackson (or any JSON binder) reads the value records reflectively, package-private creators included
    opens io.github.conversationstore;
}
