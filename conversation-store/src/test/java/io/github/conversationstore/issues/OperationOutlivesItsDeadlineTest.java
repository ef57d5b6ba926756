package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.bson.BsonDocument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * "Every operation has one overall deadline": an append that crosses a move threshold runs the
 * move with a fresh deadline of its own ({@code moveQuietly} calls {@code ctx.deadline(...)}), so
 * the append can return up to twice its timeout after it was called; {@code deleteConversation}
 * runs three {@code ctx.call}s, each with a fresh deadline (count, delete, archive), so up to three
 * times. Here the first command of the operation is slow but answers within the deadline (a pause
 * after its reply), then the server stops answering (the proxy holds every reply for seconds): an
 * operation that kept one deadline would give up when the time left runs out.
 */
class OperationOutlivesItsDeadlineTest extends EmbeddedMongoTestBase {
    private static final Duration TIMEOUT = Duration.ofMillis(1000);
    private static final long SLOW_MILLIS = 600;
    /** Room for a loaded machine; a second deadline would add about a whole timeout. */
    private static final long SLACK_MILLIS = 500;
    /** Holds every reply for 1.5 s to 3 s (seed 2 draws long holds for its first 8 commands). */
    private static final FaultInjectingProxy.RandomFaults SERVER_STOPS_ANSWERING = new FaultInjectingProxy.RandomFaults(
            2, 0, 1.0, 0, 0, Duration.ofMillis(3000), Duration.ofMillis(3000), Duration.ZERO);

    /** After the first command's slow reply, every reply is held. */
    private static Runnable slowThenUnresponsive(FaultInjectingProxy proxy) {
        return () -> {
            try {
                Thread.sleep(SLOW_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            proxy.startRandom(SERVER_STOPS_ANSWERING);
        };
    }

    /** Runs {@code operation} (an unavailable answer is fine, a late one is not). */
    private static void assertWithinTimeout(String what, FaultInjectingProxy proxy, Runnable operation) {
        long start = System.nanoTime();
        catchThrowable(operation::run);
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        proxy.stopRandom();
        assertThat(elapsedMillis).as("%s with an operation timeout of %d ms", what, TIMEOUT.toMillis())
                .isLessThanOrEqualTo(TIMEOUT.toMillis() + SLACK_MILLIS);
    }

    private static Predicate<BsonDocument> appendOf(String collection) {
        return CommandHooks.command("findAndModify", collection).and(c -> c.containsKey("update")
                && c.getDocument("update").containsKey("$push")
                && c.getDocument("update").getDocument("$push").containsKey("messages"));
    }

    private final String collection = "deadline" + System.nanoTime();
    private final CommandHooks hooks = new CommandHooks();
    private FaultInjectingProxy proxy;
    private MongoClient viaProxy;
    private MongoConversationStore store;

    @BeforeEach
    void storeBehindTheProxy() throws Exception {
        proxy = new FaultInjectingProxy(server.port());
        viaProxy = hooks.client(proxy.connectionString());
        store = MongoConversationStore.builder().client(viaProxy).database("issues").collection(collection)
                .maxHeadMessages(4).operationTimeout(TIMEOUT).build();
    }

    @AfterEach
    void close() throws Exception {
        store.close();
        viaProxy.close();
        proxy.close();
    }

    private void appendMessages(int count) {
        for (int i = 0; i < count; i++) {
            store.appendMessages("s", "en", List.of(Message.user("m" + i)));
        }
    }

    @Test
    void appendThatCrossesAMoveThreshold_returnsWithinItsOperationTimeout() {
        appendMessages(4);
        // the fifth append crosses the bound of 4 and then moves
        hooks.afterSuccess(appendOf(collection), slowThenUnresponsive(proxy));

        assertWithinTimeout("append", proxy, () -> store.appendMessages("s", "en", List.of(Message.user("m4"))));
    }

    @Test
    void deleteConversation_returnsOrFailsWithinItsOperationTimeout() {
        appendMessages(12);
        // the count is slow; the delete after it finds the server unresponsive
        hooks.afterSuccess(CommandHooks.command("find", collection), slowThenUnresponsive(proxy));

        assertWithinTimeout("delete", proxy, () -> store.deleteConversation("s"));
    }
}
