package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.ShardKeyChecker;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: {@code removeOrphanedArchives} sent one range query per archived (session,
 * generation) pair, each to every shard owning sessions after it. Now it reads pages of chunk
 * entries: here 30 sessions, one page.
 */
class SweepQueriesEveryShardPerPairTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();

    @AfterAll
    static void stop() {
        SERVER.close();
    }

    @Test
    void sweep_readsTheArchiveInPagesNotOneQueryPerPair() {
        String collection = "sweep" + System.nanoTime();
        try (MongoClient plain = SERVER.client()) {
            try (MongoConversationStore store = MongoConversationStore.builder().client(plain).database("issues")
                    .collection(collection).maxHeadMessages(4).build()) {
                for (int s = 0; s < 30; s++) {
                    for (int i = 0; i < 4; i++) {
                        store.appendMessages("s" + s, "es", List.of(Message.user("q" + i), Message.assistant("a" + i)));
                    }
                }
            }
            // the TTL monitor's work: every other head is gone
            for (int s = 0; s < 30; s += 2) {
                plain.getDatabase("issues").getCollection(collection).deleteOne(new Document("sessionId", "s" + s));
            }
            long[] removed = new long[1];
            ShardKeyChecker checker = Targeting.record(SERVER, client -> {
                try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("issues")
                        .collection(collection).maxHeadMessages(4).createIndexes(false).build()) {
                    removed[0] = store.removeOrphanedArchives();
                }
            });
            assertThat(removed[0]).isPositive();
            assertThat(plain.getDatabase("issues").getCollection(collection + "_archive")
                    .countDocuments(new Document("sessionId", "s0"))).isZero();
            assertThat(plain.getDatabase("issues").getCollection(collection + "_archive")
                    .countDocuments(new Document("sessionId", "s1"))).isPositive();
            assertThat(checker.violations()).isEmpty();
            int pages = checker.summary().entrySet().stream().filter(e -> e.getKey().contains("(sweep)"))
                    .mapToInt(e -> e.getValue()).sum();
            int summaryPages = checker.summary().entrySet().stream()
                    .filter(e -> e.getKey().contains("(sweep)") && e.getKey().contains("summaries"))
                    .mapToInt(e -> e.getValue()).sum();
            // one page of chunk entries, and one of summaries (the sweep removes expired lives' summaries too)
            assertThat(pages - summaryPages).isEqualTo(1);
            assertThat(summaryPages).isEqualTo(1);
        }
    }
}
