package io.github.conversationstore;

import static io.github.conversationstore.testing.FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.bson.Document;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Attack: a fork whose reply is lost after the server applied its write (the copy of the parent's
 * head messages, the references, or the fork's head), retried by the caller: exactly one fork, its
 * header right, one set of references. Then the same with the parent deleted in another thread
 * while the retry runs (seeded moments): the fork made reads whole, or the retry fails naming the
 * parent and nothing of the parent is left, without waiting for the sweep (the first attempt took
 * its references back when its write failed before its head).
 */
class ForkLostReplyAdversarialTest extends ForkAdversarialBase {

    static Stream<Arguments> lostReplies() {
        return Stream.of(Arguments.of("archivedAt", 18), Arguments.of("direct", 5), Arguments.of("direct", 18),
                Arguments.of("chain", 5), Arguments.of("chain", 18));
    }

    @ParameterizedTest(name = "the reply of the write holding {0} lost, fork at {1}")
    @MethodSource("lostReplies")
    void lostReply_retried_makesOneForkWithItsHeaderRight(String marker, int at) throws Exception {
        String database = db("forklost");
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient proxied = proxy.client();
                MongoConversationStore store = builder(proxied, database).maxAttempts(1).build()) {
            List<String> parent = append(store, "p", "parent", 20);
            proxy.arm(DROP_REPLY_AFTER_APPLY, marker, 1);
            assertThatThrownBy(() -> store.fork("p", at, "f")).isInstanceOf(ConversationStoreUnavailableException.class);
            assertThat(proxy.injected()).isEqualTo(1);

            ConversationHeader fork = store.fork("p", at, "f");
            ConversationHeader again = store.fork("p", at, "f");
            assertThat(again).isEqualTo(fork);
            assertThat(fork.sessionId()).isEqualTo("f");
            assertThat(fork.messageCount()).isEqualTo(at);
            assertThat(fork.forkedFrom().sessionId()).isEqualTo("p");
            assertThat(fork.forkedFrom().atSequence()).isEqualTo(at);
            MongoDatabase raw = client.getDatabase(database);
            assertThat(fork.forkedFrom().life()).isEqualTo(raw.getCollection("conversations")
                    .find(new Document("sessionId", "p")).first().getObjectId("generation").toHexString());
            assertThat(texts(store, "f")).containsExactlyElementsOf(parent.subList(0, at));
            assertThat(store.listForks("p", null, 10)).extracting(ConversationHeader::sessionId).containsExactly("f");
            assertThat(raw.getCollection("conversations").countDocuments(new Document("fork", new Document("$exists", true))))
                    .isEqualTo(1);
            assertThat(references(raw, "f")).as("one set of references").isEqualTo(1);
            store.deleteConversation("p");
            assertThat(texts(store, "f")).containsExactlyElementsOf(parent.subList(0, at));
            assertThat(stored(raw, parent)).containsExactlyInAnyOrderElementsOf(parent.subList(0, at));
            store.deleteConversation("f");
            assertThat(stored(raw, parent)).isEmpty();
            assertThat(references(raw, "f")).isZero();
        }
    }

    static Stream<Arguments> lostRepliesAndSeeds() {
        return lostReplies().flatMap(a -> Stream.of(1L, 2L).map(seed -> Arguments.of(a.get()[0], a.get()[1], seed)));
    }

    @ParameterizedTest(name = "the reply of the write holding {0} lost, fork at {1}, seed {2}")
    @MethodSource("lostRepliesAndSeeds")
    void lostReply_retriedWhileTheParentIsDeleted_oneWholeForkOrNothingLeft(String marker, int at, long seed)
            throws Exception {
        Random random = new Random(seed);
        String database = db("forklostdel");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient proxied = proxy.client();
                MongoConversationStore store = builder(proxied, database).maxAttempts(1).build();
                MongoConversationStore eraser = builder(client, database).build()) {
            List<String> parent = append(eraser, "p", "parent", 20);
            proxy.arm(DROP_REPLY_AFTER_APPLY, marker, 1);
            assertThatThrownBy(() -> store.fork("p", at, "f")).isInstanceOf(ConversationStoreUnavailableException.class);
            boolean headWritten = marker.equals("chain");

            CountDownLatch go = new CountDownLatch(1);
            long retryDelay = random.nextInt(2_000_000);
            long eraseDelay = random.nextInt(2_000_000);
            Future<ConversationHeader> retry = pool.submit(() -> {
                go.await();
                LockSupport.parkNanos(retryDelay);
                try {
                    return store.fork("p", at, "f");
                } catch (IllegalArgumentException e) {
                    assertThat(e).hasMessageContaining("sessionId 'p'");
                    return null;
                }
            });
            Future<Long> erase = pool.submit(() -> {
                go.await();
                LockSupport.parkNanos(eraseDelay);
                return eraser.deleteConversation("p");
            });
            go.countDown();
            erase.get(20, TimeUnit.SECONDS);
            ConversationHeader fork = retry.get(20, TimeUnit.SECONDS);
            MongoDatabase raw = client.getDatabase(database);
            if (headWritten) {
                assertThat(fork).as("the fork's head was written: the retry answers with it").isNotNull();
            }
            if (fork != null) {
                assertThat(fork.forkedFrom().atSequence()).isEqualTo(at);
                assertThat(fork.messageCount()).isEqualTo(at);
                assertThat(texts(eraser, "f")).containsExactlyElementsOf(parent.subList(0, at));
                assertThat(stored(raw, parent)).containsExactlyInAnyOrderElementsOf(parent.subList(0, at));
                assertThat(references(raw, "f")).isEqualTo(1);
                eraser.deleteConversation("f");
            } else {
                assertThat(eraser.findConversation("f")).isEmpty();
                assertThat(eraser.readMessages("f", 0, 100)).isEmpty();
                // the first attempt took its references back when its write failed, before its head
                assertThat(references(raw, "f")).as("no reference left by the failed attempts").isZero();
                assertThat(stored(raw, parent)).as("nothing of the deleted parent, without a sweep").isEmpty();
            }
            assertThat(stored(raw, parent)).isEmpty();
            assertThat(references(raw, "f")).isZero();
        } finally {
            pool.shutdownNow();
        }
    }
}
