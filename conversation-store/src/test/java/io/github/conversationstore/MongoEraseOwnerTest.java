package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoCollection;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Erasing an owner on MongoDB, where one conversation's erasure takes several steps (the head
 * becomes a tombstone, then the archive goes): a crash between them, and the call made again.
 */
class MongoEraseOwnerTest extends EmbeddedMongoTestBase {
    private static final Owner ANA = Owner.of("tutor", "ana");

    private MongoConversationStore store(String collection) {
        return MongoConversationStore.builder().client(client).database("erase_owner").collection(collection)
                .maxHeadMessages(4).maxHeadBytes(2048).build();
    }

    private static void fill(ConversationStore store, String sessionId, int messages) {
        for (int i = 0; i < messages; i++) {
            store.appendMessages(AppendRequest.builder(sessionId, "en").owner(ANA).messages(Message.user("m" + i)).build());
        }
    }

    @Test
    void aCrashBetweenTombstoneAndArchiveIsFinishedByTheNextCall() {
        String collection = "crash_" + System.nanoTime();
        MongoCollection<Document> heads = client.getDatabase("erase_owner").getCollection(collection);
        MongoCollection<Document> archive = client.getDatabase("erase_owner").getCollection(collection + "_archive");
        try (MongoConversationStore store = store(collection)) {
            fill(store, "a1", 20);
            fill(store, "a2", 20);
            assertThat(archive.countDocuments(new Document(HeadDocument.SESSION_ID, "a1"))).isPositive();
            AtomicInteger tombstones = new AtomicInteger();
            store.onMoveStep(step -> {
                if (step.equals("erase:tombstone") && tombstones.incrementAndGet() == 1) {
                    throw new IllegalStateException("the process died here");
                }
            });

            assertThatThrownBy(() -> store.eraseOwner(ANA)).hasMessageContaining("died");
            // a1 is a tombstone whose archive is still there, a2 untouched
            assertThat(store.findConversation("a1")).isEmpty();
            assertThat(archive.countDocuments(new Document(HeadDocument.SESSION_ID, "a1"))).isPositive();
            assertThat(heads.find(new Document(HeadDocument.SESSION_ID, "a1")).first()).containsKey(HeadDocument.ERASED_OWNER);

            OwnerErasure second = store.eraseOwner(ANA);

            assertThat(second.conversations()).isEqualTo(1); // a2; a1's messages were counted by the first call
            assertThat(second.messages()).isEqualTo(20);
            assertThat(archive.countDocuments()).isZero();
            assertThat(heads.countDocuments(new Document(HeadDocument.OWNER, new Document("$exists", true)))).isZero();
            assertThat(heads.countDocuments(new Document(HeadDocument.ERASED_OWNER, new Document("$exists", true)))).isZero();
            assertThat(store.eraseOwner(ANA)).isEqualTo(new OwnerErasure(ANA, 0, 0));
        }
    }

    @Test
    void anErasedConversationKeepsNoOwnerId() {
        String collection = "plain_" + System.nanoTime();
        MongoCollection<Document> heads = client.getDatabase("erase_owner").getCollection(collection);
        try (MongoConversationStore store = store(collection)) {
            fill(store, "a1", 10);

            store.deleteConversation("a1");

            Document tombstone = heads.find(new Document(HeadDocument.SESSION_ID, "a1")).first();
            assertThat(tombstone).doesNotContainKeys(HeadDocument.OWNER, HeadDocument.ERASED_OWNER);
            assertThat(store.listConversations(ANA, null, 10)).isEmpty();
        }
    }
}
