package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.RawDocuments;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Review (issue 22/25): summaries of an encrypted store written by a process whose cached data key
 * of the session is stale (another process deleted the conversation and began it again).
 */
class SummaryEncryptionAdversarialTest extends EmbeddedMongoTestBase {

    private static MongoConversationStore.Builder store(MongoClient on, String database, String collection) {
        return MongoConversationStore.builder().client(on).database(database).collection(collection)
                .encryption(TestKeys.provider());
    }

    /**
     * Process A caches the first life's key; process B deletes the conversation and begins a new
     * life (a new key). A summary A writes for the new life must be sealed with the new life's key,
     * or no other process can read it (and, since a read stops at a summary it cannot open, none of
     * the life's summaries).
     */
    @Test
    void writeSummary_byAProcessWithAStaleCachedKey_isReadableByEveryProcess() {
        String collection = "staleKey" + System.nanoTime();
        String database = "review_" + collection;
        try (MongoClient otherClient = MongoClients.create(server.connectionString());
                MongoConversationStore a = store(client, database, collection).build();
                MongoConversationStore b = store(otherClient, database, collection).createIndexes(false).build()) {
            a.appendMessages("s", "en", List.of(Message.user("first life"), Message.assistant("old")));
            b.deleteConversation("s");
            b.appendMessages("s", "en", List.of(Message.user("second life"), Message.assistant("new")));

            a.writeSummary("s", Summary.of(0, 2, "CANARY-STALE-SUMMARY-3c3c", 4));

            assertThat(RawDocuments.containing(client.getDatabase(database), List.of("CANARY-STALE-SUMMARY-3c3c")))
                    .as("sealed, not in clear").isEmpty();
            assertThat(b.summaries("s")).as("read by the process that began the new life")
                    .extracting(s -> s.message().text()).containsExactly("CANARY-STALE-SUMMARY-3c3c");
            try (MongoConversationStore fresh = store(otherClient, database, collection).createIndexes(false).build()) {
                assertThat(fresh.summaries("s")).as("read by a process started later")
                        .extracting(s -> s.message().text()).containsExactly("CANARY-STALE-SUMMARY-3c3c");
                assertThat(fresh.contextWindow("s", 1000).summary()).isPresent();
            }
        }
    }

    /**
     * A conversation stored before encryption was turned on has no data key until its next append.
     * A summary written for it by the encrypting store is new content: it must be sealed, not
     * stored in clear beside the old clear messages.
     */
    @Test
    void writeSummary_onAConversationFromBeforeEncryption_isSealed() {
        String collection = "beforeEncryption" + System.nanoTime();
        String database = "review_" + collection;
        try (MongoConversationStore plain = MongoConversationStore.builder().client(client).database(database)
                .collection(collection).build()) {
            plain.appendMessages("s", "en", List.of(Message.user("old, in clear"), Message.assistant("old reply")));
        }
        try (MongoConversationStore encrypting = store(client, database, collection).createIndexes(false).build()) {
            encrypting.writeSummary("s", Summary.of(0, 2, "CANARY-UNKEYED-SUMMARY-9d9d", 4));

            assertThat(RawDocuments.containing(client.getDatabase(database), List.of("CANARY-UNKEYED-SUMMARY-9d9d")))
                    .as("the summary written by the encrypting store").isEmpty();
            assertThat(encrypting.summaries("s")).extracting(s -> s.message().text())
                    .containsExactly("CANARY-UNKEYED-SUMMARY-9d9d");
            encrypting.appendMessages("s", "en", List.of(Message.user("new, sealed")));
            assertThat(encrypting.summaries("s")).hasSize(1);
            try (MongoConversationStore fresh = store(client, database, collection).createIndexes(false).build()) {
                assertThat(fresh.summaries("s")).extracting(s -> s.message().text())
                        .containsExactly("CANARY-UNKEYED-SUMMARY-9d9d");
                assertThat(fresh.readMessages("s", 0, 10)).hasSize(3);
            }
        }
    }
}
