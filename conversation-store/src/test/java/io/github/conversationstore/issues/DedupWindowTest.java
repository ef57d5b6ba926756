package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 14: the dedup window was the session's last 64 append ids, so a caller's retry
 * after an outage in a busy session was applied twice. The window is now 2,048 appends with no time
 * limit, kept compact in the head (a few dozen elements, so appends to busy sessions stay as fast).
 */
class DedupWindowTest extends EmbeddedMongoTestBase {

    @Test
    void repeatsWithinTheLast2048Appends_areRecognized_andTheHeadStaysCompact() {
        String collection = "window" + System.nanoTime();
        try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("issues")
                .collection(collection).build()) {
            List<AppendRequest> sent = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                AppendRequest request = AppendRequest.builder("s", "en").appendId("a-" + i)
                        .messages(Message.user("q" + i), Message.assistant("r" + i)).build();
                store.appendMessages(request);
                sent.add(request);
            }

            for (int back : new int[] {1, 64, 65, 1000, 2047}) {
                AppendResult again = store.appendMessages(sent.get(3000 - back));
                assertThat(again.duplicate()).as("repeat of the append %d back", back).isTrue();
                assertThat(again.firstSequence()).isEqualTo(2L * (3000 - back));
            }
            assertThat(store.findConversation("s").orElseThrow().messageCount()).isEqualTo(6000);

            Document head = client.getDatabase("issues").getCollection(collection).find().first();
            assertThat(head.getList("appendKeys", Number.class)).hasSizeLessThanOrEqualTo(2 * 64 + 8);
            assertThat(head.getList("appendKeyBlocks", String.class)).hasSize(32);
        }
    }
}
