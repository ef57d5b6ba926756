package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.ShardKeyChecker;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: a page of {@code listConversationIds} asked every shard for up to {@code limit} heads
 * (Spring AI's {@code findConversationIds} pages by 10,000), so a page cost up to shards x limit
 * documents at mongos. Now the shards send batches of at most 256, fetched as the ordered merge
 * needs them.
 */
class ListingReadsItsLimitFromEveryShardTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();

    @AfterAll
    static void stop() {
        SERVER.close();
    }

    @Test
    void listing_asksForBoundedBatches() {
        ShardKeyChecker checker = Targeting.record(SERVER, client -> {
            try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("issues")
                    .collection("list" + System.nanoTime()).build()) {
                for (int s = 0; s < 300; s++) {
                    store.appendMessages(String.format("s%03d", s), "es", List.of(Message.user("hola")));
                }
                assertThat(store.listConversationIds(null, 10_000)).hasSize(300);
                assertThat(store.listConversationIds("s100", 10)).hasSize(10).startsWith("s101");
            }
        });
        assertThat(checker.violations()).isEmpty();
    }
}
