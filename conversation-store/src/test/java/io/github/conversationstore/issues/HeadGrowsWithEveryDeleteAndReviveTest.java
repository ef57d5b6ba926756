package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.util.List;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.Test;

/**
 * Review: a revive gives the new conversation the tombstone's erased fingerprint blocks plus one
 * more block of its loose ones, and keeps a copy of them all. Blocks are only cut to the window by a
 * move's packing, so when conversations are cleared before they reach a move (a "clear chat" used
 * often on one session id), every delete and revive adds blocks that are never dropped: the head
 * grows without bound (the live head holds the blocks twice, with the copy), past the window of 64 fingerprints here,
 * towards the head overhead reserve and in the end the 16 MB limit, and every append's regex filter
 * scans it all.
 */
class HeadGrowsWithEveryDeleteAndReviveTest extends EmbeddedMongoTestBase {

    @Test
    void manyShortLives_deletedAndRevived_keepTheHeadBoundedByTheWindow() {
        String collection = "cycles" + System.nanoTime();
        try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("review")
                .collection(collection).appendIdWindow(64).build()) {
            int[] sizes = new int[2];
            for (int cycle = 0; cycle < 400; cycle++) {
                store.appendMessages("s", "en", List.of(Message.user("hi " + cycle)));
                store.appendMessages("s", "en", List.of(Message.assistant("hello " + cycle)));
                store.deleteConversation("s");
                if (cycle == 199 || cycle == 399) {
                    RawBsonDocument head = client.getDatabase("review").getCollection(collection, RawBsonDocument.class)
                            .find(new Document("sessionId", "s")).first();
                    sizes[cycle == 199 ? 0 : 1] = head.getByteBuffer().remaining();
                }
            }
            // 64 fingerprints take about 600 bytes as blocks; twice that with the copy, plus the fields
            assertThat(sizes[1]).as("tombstone bytes after 400 cycles (after 200: %d)", sizes[0]).isLessThan(8 * 1024);
            assertThat(sizes[1]).as("growth between 200 and 400 cycles").isLessThanOrEqualTo(sizes[0] + 1024);
        }
    }
}
