package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, item 2: with the server unreachable from just after a tool ran, {@code respond} took a
 * renewal's deadline and then a fresh one for the release. Now {@code respond} returns within one
 * store deadline (no renewal before the fenced append, no release once the store did not answer),
 * and the turn's resume from another process waits at most the lease. (In the same turn service the
 * resume takes its lease back at once: {@link FailedTurnsOwnResumeRefusedBusyTest}.)
 */
class SessionLockedAfterAnOutageTest extends EmbeddedMongoTestBase {
    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration LEASE = Duration.ofSeconds(3);

    @Test
    void respond_serverUnreachableRightAfterATool_failsWithinOneDeadlineAndItsResumeTakesTheLeaseAtOnce()
            throws Exception {
        FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
        String collection = "c" + System.nanoTime();
        AtomicInteger runs = new AtomicInteger();
        Tool lookup = Tool.of(new ToolSpec("lookup", "Looks up.", "{\"type\":\"object\"}"), invocation -> {
            if (runs.incrementAndGet() == 1) {
                try {
                    proxy.close(); // the first process loses the server right after the tool ran
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return ToolOutput.text("found");
        });
        ReplyProvider model = request -> request.steps().isEmpty()
                ? new Reply(List.of(new Part.ToolCall("c1", "lookup", "{}")), Map.of(), TokenUsage.UNKNOWN, Map.of())
                : Reply.of("done");
        try (MongoClient viaProxy = MongoClients.create(proxy.connectionString() + "&serverSelectionTimeoutMS=60000");
                MongoConversationStore cut = MongoConversationStore.builder().client(viaProxy).database("issues")
                        .collection(collection).operationTimeout(OPERATION_TIMEOUT).build();
                MongoConversationStore other = MongoConversationStore.builder().client(client).database("issues")
                        .collection(collection).operationTimeout(OPERATION_TIMEOUT).build();
                TurnService first = TurnService.builder(cut).provider(model).tools(lookup).replyTimeout(LEASE.dividedBy(2))
                        .toolTimeout(LEASE.dividedBy(2)).leaseDuration(LEASE).build();
                TurnService second = TurnService.builder(other).provider(model).tools(lookup)
                        .busyTimeout(LEASE.multipliedBy(2)).build()) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> first.respond("s", "en", "look up", "t1"))
                    .isInstanceOf(ConversationStoreUnavailableException.class);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(took).as("respond with the server gone").isLessThan(OPERATION_TIMEOUT.plusMillis(1500));

            long resuming = System.nanoTime();
            TurnResult resumed = second.respond("s", "en", "look up", "t1");
            assertThat(Duration.ofNanos(System.nanoTime() - resuming)).as("the resume's wait").isLessThan(LEASE.plusSeconds(1));

            assertThat(resumed.reply().text()).isEqualTo("done");
            assertThat(runs.get()).as("the call's result was not stored: run again with its key").isEqualTo(2);
        }
    }
}
