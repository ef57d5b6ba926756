package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Review (attacks that held): a takeover under the same turn key lands while the old holder's
 * fenced append is under way: between its archive lookup and its update (dedupBeyondWindow), and
 * after it was applied with its reply lost.
 */
class LeaseTakeoverDuringAnAppendTest extends EmbeddedMongoTestBase {

    @Test
    void takeoverBetweenTheArchiveLookupAndTheUpdate_fencesTheOldHolderOut() {
        String collection = "takeover" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        try (MongoClient hooked = hooks.client(server.connectionString());
                MongoConversationStore a = MongoConversationStore.builder().client(hooked).database("review")
                        .collection(collection).build();
                MongoConversationStore b = MongoConversationStore.builder().client(client).database("review")
                        .collection(collection).createIndexes(false).build()) {
            assertThat(a.tryAcquireLease("s", "en", "A", "turn-1", Duration.ofSeconds(30))).isTrue();
            a.appendMessages(AppendRequest.builder("s", "en").appendId("q").messages(Message.user("question"))
                    .leaseHolder("A").build());
            hooks.afterSuccess(CommandHooks.command("find", collection + "_archive"), () -> {
                assertThat(b.tryAcquireLease("s", "en", "B", "turn-1", Duration.ofSeconds(30))).isTrue();
                b.appendMessages(AppendRequest.builder("s", "en").appendId("turn-1/reply").messages(Message.assistant("B's reply"))
                        .leaseHolder("B").build());
            });
            Throwable thrown = catchThrowable(() -> a.appendMessages(AppendRequest.builder("s", "en").appendId("turn-1/reply")
                    .messages(Message.assistant("A's reply")).leaseHolder("A").dedupBeyondWindow(true)
                    .renewLease(Duration.ofSeconds(60)).build()));
            assertThat(thrown).isInstanceOf(LeaseLostException.class);
            assertThat(a.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("question", "B's reply");
            assertThat(a.tryAcquireLease("s", "en", "C", Duration.ofSeconds(30))).as("B's lease was not touched").isFalse();
        }
    }

    @Test
    void oldHoldersAppendAppliedBeforeTheTakeover_replyLost_isReportedApplied_once() throws Exception {
        String collection = "takeoverLost" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient viaProxy = hooks.client(proxy.connectionString());
                MongoConversationStore a = MongoConversationStore.builder().client(viaProxy).database("review")
                        .collection(collection).build();
                MongoConversationStore b = MongoConversationStore.builder().client(client).database("review")
                        .collection(collection).createIndexes(false).build()) {
            assertThat(a.tryAcquireLease("s", "en", "A", "turn-1", Duration.ofSeconds(30))).isTrue();
            proxy.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
            hooks.afterFailure(CommandHooks.command("findAndModify", collection), () ->
                    assertThat(b.tryAcquireLease("s", "en", "B", "turn-1", Duration.ofSeconds(30))).isTrue());
            AppendResult result = a.appendMessages(AppendRequest.builder("s", "en").appendId("turn-1/q")
                    .messages(Message.user("question")).leaseHolder("A").renewLease(Duration.ofSeconds(300)).build());
            assertThat(result.duplicate()).isFalse();
            assertThat(result.firstSequence()).isZero();
            assertThat(proxy.injected()).isEqualTo(1);
            assertThat(b.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("question");
            assertThat(b.renewLease("s", "B", Duration.ofSeconds(30))).as("B still holds the lease").isTrue();
            assertThat(catchThrowable(() -> a.appendMessages(AppendRequest.builder("s", "en").appendId("turn-1/q")
                    .messages(Message.user("question")).leaseHolder("A").renewLease(Duration.ofSeconds(300)).build())))
                    .as("the caller's own retry after the takeover").isInstanceOf(LeaseLostException.class);
            assertThat(a.tryAcquireLease("s", "en", "C", Duration.ofSeconds(30))).as("A did not renew B's lease").isFalse();
        }
    }
}
