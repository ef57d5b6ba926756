package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoCollection;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Review (attack that held): the retention sweep beside tombstones, revived conversations with
 * their own chunks, and heads removed by retention (deleted here as the TTL monitor would).
 */
class SweepWithTombstonesTest extends EmbeddedMongoTestBase {

    @Test
    void sweep_removesOnlyDeadGenerations_andKeepsEveryLiveMessage() {
        String collection = "sweepTomb" + System.nanoTime();
        try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("review")
                .collection(collection).maxHeadMessages(8).build()) {
            MongoCollection<Document> heads = client.getDatabase("review").getCollection(collection);
            MongoCollection<Document> archive = client.getDatabase("review").getCollection(collection + "_archive");
            List<String> live = fill(store, "live", "l", 40);
            fill(store, "revived", "erased", 40);
            store.deleteConversation("revived");
            List<String> revived = fill(store, "revived", "r", 40);
            fill(store, "tombstone", "gone", 40);
            store.deleteConversation("tombstone");
            fill(store, "expired", "x", 40);
            long expiredChunks = archive.countDocuments(new Document("sessionId", "expired"));
            assertThat(expiredChunks).isPositive();
            heads.deleteOne(new Document("sessionId", "expired")); // what retention does
            long liveChunks = archive.countDocuments(new Document("sessionId", "live"))
                    + archive.countDocuments(new Document("sessionId", "revived"));

            assertThat(store.removeOrphanedArchives()).isEqualTo(expiredChunks);
            assertThat(store.removeOrphanedArchives()).isZero();

            assertThat(archive.countDocuments(new Document("sessionId", "live"))
                    + archive.countDocuments(new Document("sessionId", "revived"))).isEqualTo(liveChunks);
            assertThat(readAll(store, "live")).containsExactlyElementsOf(live);
            assertThat(readAll(store, "revived")).containsExactlyElementsOf(revived);
            assertThat(readAll(store, "tombstone")).isEmpty();
            assertThat(store.appendMessages("expired", "en", List.of(Message.user("again"))).firstSequence()).isZero();
            assertThat(readAll(store, "expired")).containsExactly("again");
            assertThat(store.listConversationIds(null, 10)).containsExactly("expired", "live", "revived");
        }
    }

    private static List<String> fill(MongoConversationStore store, String session, String prefix, int n) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            store.appendMessages(session, "en", List.of(Message.user(prefix + i)));
            texts.add(prefix + i);
        }
        return texts;
    }

    private static List<String> readAll(MongoConversationStore store, String session) {
        List<String> texts = new ArrayList<>();
        long from = 0;
        List<StoredMessage> page;
        while (!(page = store.readMessages(session, from, 9)).isEmpty()) {
            page.forEach(m -> texts.add(m.text()));
            from += page.size();
        }
        return texts;
    }
}
