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
 * Issue 21: {@code deleteConversation} turned the head into a tombstone with a
 * {@code findAndModify} whose filter was {@code {_id, generation}}: before MongoDB 7.1 mongos
 * refuses a single-document write on a sharded collection without the shard key, so every erasure
 * (and every adapter's {@code clear}) failed on 6.0 and 7.0 once heads were sharded.
 */
class ErasureUntargetedOnShardedHeadsTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();

    @AfterAll
    static void stop() {
        SERVER.close();
    }

    @Test
    void deleteConversation_everyCommandCarriesTheSessionId() {
        ShardKeyChecker checker = Targeting.record(SERVER, client -> {
            try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("issues")
                    .collection("erase" + System.nanoTime()).maxHeadMessages(4).build()) {
                for (int i = 0; i < 5; i++) {
                    store.appendMessages("s", "es", List.of(Message.user("q" + i), Message.assistant("a" + i)));
                }
                assertThat(store.deleteConversation("s")).isEqualTo(10);
                assertThat(store.deleteConversation("s")).isZero();
            }
        });
        assertThat(checker.violations()).isEmpty();
        assertThat(checker.summary()).containsKey("targeted: findAndModify (update) heads by full shard key");
    }
}
