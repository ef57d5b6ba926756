package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/**
 * Adversarial: two processes, each on its own client behind a proxy that loses the reply of the
 * first write creating the conversation (and its data key), append the first message of an owner's
 * new conversation at once: one data key seals the whole life, and both read every message.
 */
class OwnerDataKeyAdversarialTest extends EmbeddedMongoTestBase {
    private static final Owner ANA = Owner.of("tutor", "ana");

    private static MongoConversationStore.Builder store(com.mongodb.client.MongoClient on, String database) {
        return MongoConversationStore.builder().client(on).database(database).collection("conversations")
                .maxHeadMessages(4).maxHeadBytes(2048).encryption(TestKeys.provider());
    }

    @Test
    void twoFirstAppendsWithLostRepliesWhileTheKeyIsCreated_agreeOnOneKeyPerLife() throws Exception {
        String database = "owner_key_race_" + System.nanoTime();
        int sessions = 8;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (FaultInjectingProxy pa = new FaultInjectingProxy(server.port());
                FaultInjectingProxy pb = new FaultInjectingProxy(server.port());
                com.mongodb.client.MongoClient ca = pa.client();
                com.mongodb.client.MongoClient cb = pb.client();
                MongoConversationStore a = store(ca, database).build();
                MongoConversationStore b = store(cb, database).createIndexes(false).build()) {
            for (int s = 0; s < sessions; s++) {
                String session = "k" + s;
                pa.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
                pb.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
                CyclicBarrier start = new CyclicBarrier(2);
                Future<AppendResult> fa = pool.submit(() -> {
                    start.await();
                    return a.appendMessages(AppendRequest.builder(session, "en").owner(ANA).appendId("a")
                            .messages(Message.user("from a"), Message.assistant("a2")).build());
                });
                Future<AppendResult> fb = pool.submit(() -> {
                    start.await();
                    return b.appendMessages(AppendRequest.builder(session, "en").owner(ANA).appendId("b")
                            .messages(Message.user("from b"), Message.assistant("b2")).build());
                });
                assertThat(fa.get().duplicate()).isFalse();
                assertThat(fb.get().duplicate()).isFalse();
            }
            assertThat(pa.injected() + pb.injected()).as("replies were lost").isPositive();
            // more messages, enough to move chunks to the archive, from both processes
            for (int s = 0; s < sessions; s++) {
                for (int i = 0; i < 3; i++) {
                    a.appendMessages(AppendRequest.builder("k" + s, "en").owner(ANA).messages(Message.user("more a " + i)).build());
                    b.appendMessages(AppendRequest.builder("k" + s, "en").owner(ANA).messages(Message.user("more b " + i)).build());
                }
            }
            for (int s = 0; s < sessions; s++) {
                String session = "k" + s;
                assertOneKeyOpensEverything(database, session, 10);
                List<String> byA = a.readMessages(session, 0, 100).stream().map(StoredMessage::text).toList();
                List<String> byB = b.readMessages(session, 0, 100).stream().map(StoredMessage::text).toList();
                assertThat(byA).hasSize(10).containsSubsequence("from a", "a2").containsSubsequence("from b", "b2")
                        .isEqualTo(byB);
            }
        } finally {
            pool.shutdownNow();
        }
        try (MongoConversationStore fresh = store(client, database).createIndexes(false).build()) {
            assertThat(fresh.readMessages("k0", 0, 100)).hasSize(10);
            // a new life after an erasure draws its own key
            Object before = heads(database).find(new Document("sessionId", "k0")).first().get(MongoDataKeys.KEY_ID);
            assertThat(fresh.eraseOwner(ANA).conversations()).isEqualTo(sessions);
            fresh.appendMessages(AppendRequest.builder("k0", "en").owner(ANA).messages(Message.user("again")).build());
            assertOneKeyOpensEverything(database, "k0", 1);
            assertThat(heads(database).find(new Document("sessionId", "k0")).first().get(MongoDataKeys.KEY_ID)).isNotEqualTo(before);
        }
    }

    private static com.mongodb.client.MongoCollection<Document> heads(String database) {
        return client.getDatabase(database).getCollection("conversations");
    }

    private static void assertOneKeyOpensEverything(String database, String session, int messages) {
        Document head = heads(database).find(new Document("sessionId", session)).first();
        ObjectId keyId = head.getObjectId(MongoDataKeys.KEY_ID);
        assertThat(keyId).isNotNull();
        List<Document> stored = new ArrayList<>(HeadDocument.messages(head));
        client.getDatabase(database).getCollection("conversations_archive")
                .find(new Document("sessionId", session).append("generation", head.get("generation")))
                .forEach(chunk -> stored.addAll(HeadDocument.messages(chunk)));
        assertThat(stored).hasSize(messages);
        for (Document message : stored) {
            assertThat(MessageCipher.isSealed(message)).isTrue();
            assertThat(MessageCipher.keyIdOf(message)).isEqualTo(keyId);
        }
    }
}
