package io.github.conversationstore.issues;

import io.github.conversationstore.testing.CommandHooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.ConversationStoreException;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 3: when the reply to the head's delete was lost, or the archive's delete failed
 * after the head was gone, a retried {@code deleteConversation} found no head, returned 0 and left
 * every archive chunk in place.
 */
class ErasureRetriedTest extends EmbeddedMongoTestBase {
    private FaultInjectingProxy proxy;
    private MongoClient viaProxy;
    private MongoConversationStore store;
    private MongoCollection<Document> archive;

    /** A session of 18 messages, most of them in archive chunks, on a store behind the proxy. */
    @BeforeEach
    void archivedSession() throws Exception {
        String collection = "erase" + System.nanoTime();
        archive = client.getDatabase("issues").getCollection(collection + "_archive");
        proxy = new FaultInjectingProxy(server.port());
        viaProxy = MongoClients.create(proxy.connectionString());
        store = MongoConversationStore.builder().client(viaProxy).database("issues").collection(collection)
                .maxHeadMessages(4).build();
        for (int i = 0; i < 9; i++) {
            store.appendMessages("s", "en", List.of(Message.user("old " + i), Message.assistant("old reply " + i)));
        }
        assertThat(archive.countDocuments(new Document("sessionId", "s"))).isPositive();
    }

    @AfterEach
    void close() throws Exception {
        store.close();
        viaProxy.close();
        proxy.close();
    }

    @Test
    void deleteConversation_whoseReplyIsLost_stillErasesTheWholeArchiveAndCountsWhatItDeleted() {
        proxy.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, "findAndModify", 1);

        long deleted = store.deleteConversation("s"); // the library retries after the lost reply

        assertThat(proxy.injected()).isEqualTo(1);
        assertThat(deleted).isEqualTo(18);
        assertThat(archive.countDocuments(new Document("sessionId", "s"))).isZero();
        store.appendMessages("s", "en", List.of(Message.user("new life")));
        assertThat(store.readMessages("s", 0, 100)).extracting(StoredMessage::text).containsExactly("new life");
    }

    @Test
    void deleteConversation_repeatedAfterTheArchiveDeleteFailed_completesTheErasure() {
        proxy.armError(FaultInjectingProxy.error(8000, "AtlasError"), "\u0002delete\u0000", 1);

        assertThatThrownBy(() -> store.deleteConversation("s")).isInstanceOf(ConversationStoreException.class);
        assertThat(store.findConversation("s")).isEmpty();
        assertThat(archive.countDocuments(new Document("sessionId", "s"))).isPositive();

        assertThat(store.deleteConversation("s")).isZero(); // documented: no head was found this time
        assertThat(archive.countDocuments(new Document("sessionId", "s"))).isZero();
    }
}
