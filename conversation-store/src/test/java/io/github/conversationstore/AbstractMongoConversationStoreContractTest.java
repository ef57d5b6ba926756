package io.github.conversationstore;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;

/**
 * Runs the contract against {@link MongoConversationStore} on some server; each test gets a fresh
 * collection. Subclasses say which server, once per class, by calling {@link #connect(String)}.
 */
abstract class AbstractMongoConversationStoreContractTest extends AbstractConversationStoreContractTest {
    private static final AtomicInteger COLLECTIONS = new AtomicInteger();
    private static MongoClient client;
    private static String skipReason;

    static void connect(String connectionString) {
        skipReason = null;
        client = MongoClients.create(connectionString);
    }

    /** Marks every test of the class as skipped, with a reason printed once to the build log. */
    static void skipAll(String reason) {
        skipReason = reason;
        System.err.println("SKIPPED: " + reason);
    }

    @AfterAll
    static void disconnect() {
        if (client != null) {
            client.close();
            client = null;
        }
    }

    /** The heads collection of the current test's store; the others are named after it. */
    private String collection;

    @Override
    protected ConversationStore createStore() {
        assumeTrue(skipReason == null, skipReason);
        collection = "conversations_" + System.nanoTime() + "_" + COLLECTIONS.incrementAndGet();
        return configure(MongoConversationStore.builder()
                .client(client)
                .database("contract")
                .collection(collection))
                .build();
    }

    /**
     * Scans every raw document of the store's collections (heads, archive, summaries, drafts,
     * forks); null with encryption on, whose sealed messages hold no text in clear.
     */
    @Override
    public java.util.Set<String> storedTexts(java.util.Collection<String> texts) {
        java.util.Set<String> found = new java.util.TreeSet<>();
        com.mongodb.client.MongoDatabase database = client.getDatabase("contract");
        if (database.getCollection(collection).countDocuments(new org.bson.Document("dataKeyId",
                new org.bson.Document("$exists", true))) > 0) {
            return null; // sealed: the raw bytes cannot tell (MongoForkTest reads an encrypted family)
        }
        for (String name : database.listCollectionNames()) {
            if (!name.equals(collection) && !name.startsWith(collection + "_")) {
                continue;
            }
            for (org.bson.RawBsonDocument raw : database.getCollection(name, org.bson.RawBsonDocument.class).find()) {
                String json = raw.toJson();
                for (String text : texts) {
                    if (json.contains("\"" + text + "\"")) {
                        found.add(text);
                    }
                }
            }
        }
        return found;
    }

    @Override
    public ConversationStore createStoreRequiringOwner() {
        assumeTrue(skipReason == null, skipReason);
        return configure(MongoConversationStore.builder()
                .client(client)
                .database("contract")
                .collection("conversations_" + System.nanoTime() + "_" + COLLECTIONS.incrementAndGet()))
                .requireOwner(true)
                .build();
    }

    /** Lets a subclass change the store's settings; the defaults here. */
    protected MongoConversationStore.Builder configure(MongoConversationStore.Builder builder) {
        return builder;
    }
}
