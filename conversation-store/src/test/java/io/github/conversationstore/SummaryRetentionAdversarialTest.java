package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoCollection;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.RawDocuments;
import java.time.Duration;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Review (issue 22/25): summaries under retention. The TTL index removes idle heads only, and
 * {@link MongoConversationStore#removeOrphanedArchives()} removes what the removed heads leave
 * behind; the embedded server has no TTL monitor, so the test removes the idle head as it would.
 */
class SummaryRetentionAdversarialTest extends EmbeddedMongoTestBase {
    private static final String CANARY = "CANARY-EXPIRED-SUMMARY-4e4e";

    @Test
    void expiredConversation_leavesNoSummaryBehind_afterTheSweep_andLiveOnesKeepTheirs() {
        String collection = "summaryTtl" + System.nanoTime();
        String database = "review_" + collection;
        MongoCollection<Document> heads = client.getDatabase(database).getCollection(collection);
        MongoCollection<Document> summaries = client.getDatabase(database).getCollection(collection + "_summaries");
        try (MongoConversationStore store = MongoConversationStore.builder().client(client).database(database)
                .collection(collection).maxHeadMessages(4).expireAfterInactivity(Duration.ofDays(30)).build()) {
            for (String session : List.of("idle", "live", "reborn")) {
                for (int i = 0; i < 4; i++) {
                    store.appendMessages(session, "en", List.of(Message.user(session + " q" + i), Message.assistant("a" + i)));
                }
                store.writeSummary(session, Summary.of(0, 6, CANARY + " of " + session, 3));
            }
            // the TTL monitor removes the idle heads; "reborn" is then written again (a new life)
            heads.deleteOne(new Document(HeadDocument.SESSION_ID, "idle"));
            heads.deleteOne(new Document(HeadDocument.SESSION_ID, "reborn"));
            store.appendMessages("reborn", "en", List.of(Message.user("new life")));
            store.writeSummary("reborn", Summary.of(0, 1, "the new life's", 1));

            store.removeOrphanedArchives();

            assertThat(summaries.countDocuments(new Document(HeadDocument.SESSION_ID, "idle")))
                    .as("summaries of the expired conversation").isZero();
            assertThat(RawDocuments.containing(client.getDatabase(database),
                    List.of(CANARY + " of idle", CANARY + " of reborn", CANARY + " of live")))
                    .containsExactly(CANARY + " of live");
            assertThat(store.summaries("live")).hasSize(1);
            assertThat(store.summaries("reborn")).extracting(s -> s.message().text()).containsExactly("the new life's");
            assertThat(store.readMessages("live", 0, 100)).hasSize(8);
        }
    }
}
