package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * The documented dedup window is the last 2,048 appends, but an append pushes its fingerprint to
 * {@code appendKeys} with {@code $slice: -1024} and only a mover packs them into blocks. When moves
 * are rarer than one per 1,024 appends (here a head bound of 5,000 messages, a legal setting; the
 * same with a large {@code maxHeadBytes} and small messages), the oldest fingerprints are sliced
 * away unpacked: a caller's retry 1,100 appends later is applied a second time.
 */
class DedupWindowShrinksWhenMovesAreRareTest extends EmbeddedMongoTestBase {

    @Test
    void repeatOfAnAppend1100AppendsBack_isADuplicate_withALargeHead() {
        String collection = "rare" + System.nanoTime();
        try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("issues")
                .collection(collection).maxHeadMessages(5000).build()) {
            AppendRequest first = AppendRequest.builder("s", "en").appendId("a-0").messages(Message.user("q0")).build();
            store.appendMessages(first);
            for (int i = 1; i <= 1100; i++) {
                store.appendMessages(AppendRequest.builder("s", "en").appendId("a-" + i).messages(Message.user("q" + i)).build());
            }
            Document head = client.getDatabase("issues").getCollection(collection).find().first();
            assertThat(head.getLong("headSeq")).as("no move ran").isZero();

            AppendResult again = store.appendMessages(first);

            assertThat(again.duplicate()).as("a repeat within the last 2,048 appends").isTrue();
            assertThat(again.firstSequence()).isZero();
            assertThat(store.findConversation("s").orElseThrow().messageCount()).isEqualTo(1101);
        }
    }
}
