package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.ConversationBusyException;
import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.TurnResult;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolInvocation;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, item 2: after an outage that began right after a tool ran (so the turn could neither
 * store the result nor give its lease back), the resume of the same turn id was refused busy until
 * the lease expired. Now the resume in the same turn service takes its own (dead) holder over and
 * runs at once; another turn of the session still waits for the expiry, never longer.
 */
class FailedTurnsOwnResumeRefusedBusyTest extends EmbeddedMongoTestBase {
    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration LEASE = Duration.ofSeconds(8);

    /** The driver reconnects after an outage in its own time: wait until the store answers again. */
    private static void awaitReachable(MongoConversationStore store) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try {
                store.findConversation("s");
                return;
            } catch (ConversationStoreUnavailableException e) {
                if (System.nanoTime() > until) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    @Test
    void resumeOfAFailedTurn_afterAnOutageCoveringItsRelease_takesItsLeaseBackAtOnce() throws Exception {
        String collection = "c" + System.nanoTime();
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port())) {
            AtomicInteger runs = new AtomicInteger();
            Tool lookup = Tool.of(new ToolSpec("lookup", "Looks up.", "{\"type\":\"object\"}"), invocation -> {
                if (runs.incrementAndGet() == 1) {
                    // the outage begins right after the tool ran: every command of this collection is reset
                    proxy.arm(FaultInjectingProxy.Fault.RESET_BEFORE_FORWARD, collection, 100_000);
                }
                return ToolOutput.text("found");
            });
            ReplyProvider model = request -> request.steps().isEmpty()
                    ? new Reply(List.of(new Part.ToolCall("c1", "lookup", "{}")), Map.of(), TokenUsage.UNKNOWN, Map.of())
                    : Reply.of("done");
            try (MongoClient viaProxy = MongoClients.create(proxy.connectionString());
                    MongoConversationStore store = MongoConversationStore.builder().client(viaProxy).database("issues")
                            .collection(collection).operationTimeout(OPERATION_TIMEOUT).build();
                    TurnService turns = TurnService.builder(store).provider(model).tools(lookup)
                            .replyTimeout(Duration.ofSeconds(2)).toolTimeout(Duration.ofSeconds(2))
                            .leaseDuration(LEASE).busyTimeout(Duration.ofMillis(500)).build()) {
                assertThatThrownBy(() -> turns.respond("s", "en", "look up", "t1"))
                        .isInstanceOf(ConversationStoreUnavailableException.class);
                proxy.arm(FaultInjectingProxy.Fault.RESET_BEFORE_FORWARD, collection, 0); // the outage ends
                awaitReachable(store);

                // another turn of the session waits for the expiry (here: refused after its 500 ms busy timeout)
                assertThatThrownBy(() -> turns.respond("s", "en", "something else", "t2"))
                        .isInstanceOf(ConversationBusyException.class);

                long resuming = System.nanoTime();
                TurnResult resumed = turns.respond("s", "en", "look up", "t1");
                Duration waited = Duration.ofNanos(System.nanoTime() - resuming);

                assertThat(resumed.reply().text()).isEqualTo("done");
                assertThat(waited).as("the resume of the failed turn is never refused busy")
                        .isLessThan(LEASE.dividedBy(2));
                assertThat(resumed.steps()).as("the call and its result, once each").hasSize(2);
                // and it gave the lease back: the other turn now runs at once
                assertThat(turns.respond("s", "en", "something else", "t2").reply().text()).isEqualTo("done");
            }
        }
    }
}
