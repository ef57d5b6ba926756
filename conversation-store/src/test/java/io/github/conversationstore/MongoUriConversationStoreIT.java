package io.github.conversationstore;

import org.junit.jupiter.api.BeforeAll;

/** The contract on the server named by the {@code MONGODB_URI} environment variable, when it is set. */
class MongoUriConversationStoreIT extends AbstractMongoConversationStoreContractTest {
    @BeforeAll
    static void connectToUri() {
        String uri = System.getenv("MONGODB_URI");
        if (uri == null || uri.isBlank()) {
            skipAll("MONGODB_URI is not set: the contract on an external MongoDB did not run");
            return;
        }
        connect(uri);
    }
}
