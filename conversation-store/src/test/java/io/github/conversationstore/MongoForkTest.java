package io.github.conversationstore;

import static io.github.conversationstore.testing.FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.testing.RawDocuments;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Forks on MongoDB beyond the contract: lost replies (a fault proxy), encryption (the shared range
 * opened with the parent life's key, the fork's own with its own), retention (the TTL monitor
 * removing a parent's head, then the sweep) and the raw documents left behind.
 */
class MongoForkTest extends ForkAdversarialBase {

    private static long heads(MongoDatabase database, Document filter) {
        return database.getCollection("conversations").countDocuments(filter);
    }

    @ParameterizedTest(name = "reply of the {0} lost")
    @ValueSource(strings = {"chain", "direct", "archivedAt"})
    void fork_whoseReplyIsLost_retriedByTheCaller_makesOneFork(String marker) throws Exception {
        String database = db("forkfaults");
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient proxied = proxy.client();
                MongoConversationStore store = builder(proxied, database).maxAttempts(1).build()) {
            List<String> parent = append(store, "p", "p", 20);
            proxy.arm(DROP_REPLY_AFTER_APPLY, marker, 1);
            // at the parent's end: the shared messages in its head are copied to its archive first
            assertThatThrownBy(() -> store.fork("p", 20, "f")).isInstanceOf(ConversationStoreUnavailableException.class);
            assertThat(proxy.injected()).isEqualTo(1);

            ConversationHeader fork = store.fork("p", 20, "f");
            assertThat(fork.forkedFrom().atSequence()).isEqualTo(20);
            assertThat(texts(store, "f")).containsExactlyElementsOf(parent);
            assertThat(store.listForks("p", null, 10)).extracting(ConversationHeader::sessionId).containsExactly("f");
            assertThat(heads(client.getDatabase(database), new Document("fork", new Document("$exists", true)))).isEqualTo(1);
            assertThat(client.getDatabase(database).getCollection("conversations_forks").countDocuments()).isEqualTo(1);
        }
    }

    @Test
    void fork_whoseHeadInsertReplyIsLost_isRetriedInsideTheCall_once() throws Exception {
        String database = db("forkfaults");
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient proxied = proxy.client();
                MongoConversationStore store = builder(proxied, database).build()) {
            List<String> parent = append(store, "p", "p", 5);
            proxy.arm(DROP_REPLY_AFTER_APPLY, "chain", 1);
            ConversationHeader fork = store.fork("p", 3, "f");

            assertThat(proxy.injected()).isEqualTo(1);
            assertThat(fork.messageCount()).isEqualTo(3);
            assertThat(texts(store, "f")).containsExactlyElementsOf(parent.subList(0, 3));
            assertThat(heads(client.getDatabase(database), new Document("sessionId", "f"))).isEqualTo(1);
        }
    }

    @Test
    void fork_encrypted_opensTheSharedRangeWithTheParentsKey_andSealsItsOwnWithItsOwn() {
        String database = db("forkkeys");
        try (MongoConversationStore store = builder(client, database).encryption(TestKeys.provider()).build()) {
            List<String> parent = append(store, "p", "canary-parent", 20);
            store.fork("p", 14, "f");
            List<String> own = append(store, "f", "canary-fork", 12);
            store.fork("f", 20, "g");
            List<String> third = append(store, "g", "canary-third", 3);

            MongoDatabase raw = client.getDatabase(database);
            Object parentKey = raw.getCollection("conversations").find(new Document("sessionId", "p")).first().get("dataKeyId");
            Object forkKey = raw.getCollection("conversations").find(new Document("sessionId", "f")).first().get("dataKeyId");
            assertThat(forkKey).isNotNull().isNotEqualTo(parentKey);
            List<String> everything = new ArrayList<>(parent);
            everything.addAll(own);
            everything.addAll(third);
            assertThat(RawDocuments.containing(raw, everything)).as("nothing in clear").isEmpty();

            List<String> expected = new ArrayList<>(parent.subList(0, 14));
            expected.addAll(own.subList(0, 6));
            expected.addAll(third);
            // a new store (no cached key) reads the whole family, then after the parent's erasure too
            try (MongoConversationStore fresh = builder(client, database).encryption(TestKeys.provider()).build()) {
                assertThat(texts(fresh, "g")).containsExactlyElementsOf(expected);
                fresh.deleteConversation("p");
                fresh.deleteConversation("f");
            }
            try (MongoConversationStore fresh = builder(client, database).encryption(TestKeys.provider()).build()) {
                assertThat(texts(fresh, "g")).containsExactlyElementsOf(expected);
                assertThat(fresh.recentMessages("g", 10)).extracting(StoredMessage::text)
                        .containsExactlyElementsOf(expected.subList(expected.size() - 10, expected.size()));
            }
        }
    }

    @Test
    void rewrapDataKeys_rewrapsTheAncestorsKeysForksHold_andTheOldKeyCanBeRetired() {
        String database = db("forkrotation");
        LocalKeyProvider k1 = LocalKeyProvider.of("kek-1", TestKeys.key(1));
        List<String> expected;
        try (MongoConversationStore store = builder(client, database).encryption(k1).build()) {
            List<String> parent = append(store, "p", "p", 20);
            store.fork("p", 12, "f");
            List<String> own = append(store, "f", "f", 6);
            store.fork("f", 15, "g");
            expected = new ArrayList<>(parent.subList(0, 12));
            expected.addAll(own.subList(0, 3));
            store.deleteConversation("p"); // its head's key is gone: only the forks' copies open the shared range
        }
        try (MongoConversationStore rotated = builder(client, database).encryption(k1.rotatedTo("kek-2", TestKeys.key(2)))
                .createIndexes(false).build()) {
            // the heads' keys of f and g, then the copies: p's in f's chain, p's and f's in g's
            assertThat(rotated.rewrapDataKeys()).isEqualTo(5);
            assertThat(rotated.rewrapDataKeys()).isZero();
        }
        try (MongoConversationStore onlyNew = builder(client, database).encryption(LocalKeyProvider.of("kek-2", TestKeys.key(2)))
                .createIndexes(false).build()) {
            assertThat(texts(onlyNew, "g")).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void retention_aParentRemovedByTheTtlMonitor_thenTheSweep_keepsWhatItsForkReads() {
        String database = db("forkretention");
        try (MongoConversationStore store = builder(client, database).build()) {
            List<String> parent = append(store, "p", "p", 30);
            store.fork("p", 11, "f");
            List<String> own = append(store, "f", "f", 4);
            MongoDatabase raw = client.getDatabase(database);
            raw.getCollection("conversations").deleteOne(new Document("sessionId", "p")); // the TTL monitor

            assertThat(store.removeOrphanedArchives()).isPositive();
            List<String> expected = new ArrayList<>(parent.subList(0, 11));
            expected.addAll(own);
            assertThat(texts(store, "f")).containsExactlyElementsOf(expected);
            Set<String> held = RawDocuments.containing(raw, parent);
            assertThat(held).containsExactlyInAnyOrderElementsOf(parent.subList(0, 11));
            assertThat(store.removeOrphanedArchives()).isZero();

            // the fork removed by the TTL monitor too: its references are leftovers, the sweep ends the family
            raw.getCollection("conversations").deleteOne(new Document("sessionId", "f"));
            raw.getCollection("conversations_forks").updateMany(new Document(),
                    new Document("$set", new Document("createdAt", new java.util.Date(0)))); // older than the grace
            store.removeOrphanedArchives();
            assertThat(raw.getCollection("conversations_archive").countDocuments()).isZero();
            assertThat(raw.getCollection("conversations_forks").countDocuments()).isZero();
        }
    }

    @Test
    void sharedChunksCachedInOneProcess_showNothingAfterAnotherProcessErasedTheFamily() {
        String database = db("forkcache");
        try (MongoConversationStore a = builder(client, database).build();
                MongoConversationStore b = builder(client, database).build()) {
            List<String> parent = append(a, "p", "p", 30);
            a.fork("p", 25, "f");
            assertThat(texts(a, "f")).containsExactlyElementsOf(parent.subList(0, 25)); // cached in a
            b.deleteConversation("p");
            assertThat(texts(a, "f")).containsExactlyElementsOf(parent.subList(0, 25));
            b.deleteConversation("f");

            assertThat(a.readMessages("f", 0, 100)).isEmpty();
            assertThat(a.recentMessages("f", 100)).isEmpty();
            assertThat(a.findConversation("f")).isEmpty();
            assertThat(RawDocuments.containing(client.getDatabase(database), parent)).isEmpty();
            assertThatThrownBy(() -> builder(client, database).forkCacheBytes(-1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("forkCacheBytes");
        }
    }

    @Test
    void deleteConversation_ofAParentWithAForkInItsHead_keepsOnlyTheSharedMessages() {
        String database = db("forkerase");
        try (MongoConversationStore store = builder(client, database).build()) {
            List<String> parent = append(store, "p", "p", 6); // all in the head (8-message heads)
            store.fork("p", 3, "f");
            store.deleteConversation("p");

            MongoDatabase raw = client.getDatabase(database);
            assertThat(texts(store, "f")).containsExactlyElementsOf(parent.subList(0, 3));
            assertThat(RawDocuments.containing(raw, parent)).containsExactlyInAnyOrderElementsOf(parent.subList(0, 3));
            store.deleteConversation("f");
            assertThat(RawDocuments.containing(raw, parent)).isEmpty();
        }
    }
}
