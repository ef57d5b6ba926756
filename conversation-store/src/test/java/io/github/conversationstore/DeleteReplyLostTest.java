package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Review (attack that held): the tombstone update's reply is lost and, before the store's retry,
 * another process revives the session. The retry must not erase the new life, the count is the
 * erased life's, and the erased ids stay refused.
 */
class DeleteReplyLostTest extends EmbeddedMongoTestBase {

    @Test
    void deleteWhoseReplyIsLost_retriedAfterARevive_leavesTheNewLifeAlone() throws Exception {
        String collection = "deleteLost" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient viaProxy = hooks.client(proxy.connectionString());
                MongoConversationStore eraser = MongoConversationStore.builder().client(viaProxy).database("review")
                        .collection(collection).maxHeadMessages(4).build();
                MongoConversationStore other = MongoConversationStore.builder().client(client).database("review")
                        .collection(collection).maxHeadMessages(4).createIndexes(false).build()) {
            for (int i = 0; i < 10; i++) {
                other.appendMessages(AppendRequest.builder("s", "en").appendId("old-" + i).messages(Message.user("old " + i)).build());
            }
            proxy.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
            hooks.afterFailure(CommandHooks.command("findAndModify", collection), () -> {
                for (int i = 0; i < 6; i++) {
                    other.appendMessages("s", "en", List.of(Message.user("new " + i)));
                }
            });

            assertThat(eraser.deleteConversation("s")).isEqualTo(10);

            assertThat(proxy.injected()).isEqualTo(1);
            assertThat(other.readMessages("s", 0, 100)).extracting(StoredMessage::text)
                    .containsExactly("new 0", "new 1", "new 2", "new 3", "new 4", "new 5");
            assertThat(other.findConversation("s").orElseThrow().messageCount()).isEqualTo(6);
            assertThatThrownBy(() -> other.appendMessages(AppendRequest.builder("s", "en").appendId("old-3")
                    .messages(Message.user("old 3")).build())).isInstanceOf(AppendErasedException.class);
            assertThat(eraser.removeOrphanedArchives()).isZero();
            assertThat(other.readMessages("s", 0, 100)).hasSize(6);
        }
    }
}
