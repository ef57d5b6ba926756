package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandSucceededEvent;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;

/**
 * Review (issue 22): the cost of a token window in a long, compacted conversation. Summaries are
 * never deleted (one per compaction), so a conversation compacted many times holds many; the
 * window needs only the newest one that fits.
 */
class SummaryCostAdversarialTest extends EmbeddedMongoTestBase {

    /** Counts the summary documents the server returns (first batches and getMore batches). */
    private static final class SummaryDocuments implements CommandListener {
        final AtomicLong returned = new AtomicLong();

        @Override
        public void commandSucceeded(CommandSucceededEvent event) {
            BsonDocument response = event.getResponse();
            if (!response.containsKey("cursor")) {
                return;
            }
            BsonDocument cursor = response.getDocument("cursor");
            if (!cursor.getString("ns").getValue().endsWith("_summaries")) {
                return;
            }
            String batch = cursor.containsKey("firstBatch") ? "firstBatch" : "nextBatch";
            returned.addAndGet(cursor.getArray(batch).size());
        }
    }

    @Test
    void window_readsTheSameSummaryDocuments_after10And300Compactions() {
        List<Long> read = new ArrayList<>();
        for (int compactions : new int[] {10, 300}) {
            SummaryDocuments counter = new SummaryDocuments();
            String collection = "summaryCost" + System.nanoTime();
            try (MongoClient counted = MongoClients.create(MongoClientSettings.builder()
                            .applyConnectionString(new ConnectionString(server.connectionString()))
                            .addCommandListener(counter).build());
                    MongoConversationStore store = MongoConversationStore.builder().client(counted).database("review")
                            .collection(collection).build()) {
                for (int i = 0; i < compactions; i++) {
                    store.appendMessages("s", "en", List.of(Message.user("q" + i), Message.assistant("a" + i)));
                    store.writeSummary("s", Summary.of(2L * i, 2L * i + 2, "summary up to " + (2 * i + 2), 20));
                }
                store.appendMessages("s", "en", List.of(Message.user("latest")));
                counter.returned.set(0);

                ContextWindow window = store.contextWindow("s", 1_000);

                assertThat(window.summary()).map(Summary::toSequence).contains(2L * compactions);
                read.add(counter.returned.get());
            }
        }
        assertThat(read.get(1)).as("summary documents read by one window after 10 and 300 compactions: %s", read)
                .isEqualTo(read.get(0));
    }
}
