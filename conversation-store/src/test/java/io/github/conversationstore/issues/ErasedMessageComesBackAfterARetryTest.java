package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.AppendErasedException;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 20, item 4: an append whose reply was lost, retried by the library after the session was
 * deleted, was applied in the new life: in 20 of 20 sessions the erased message came back. A retry
 * of an append id applied before an erasure, by the library or by the caller, now writes nothing
 * and gets {@link AppendErasedException}.
 */
class ErasedMessageComesBackAfterARetryTest extends EmbeddedMongoTestBase {
    private static final int SESSIONS = 20;

    @Test
    void appendWhoseReplyWasLost_retriedAfterTheDelete_isNeverReadableAgain() throws Exception {
        String collection = "erasedRetry" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient viaProxy = hooks.client(proxy.connectionString());
                MongoConversationStore writer = MongoConversationStore.builder().client(viaProxy).database("issues")
                        .collection(collection).build();
                MongoConversationStore eraser = MongoConversationStore.builder().client(client).database("issues")
                        .collection(collection).createIndexes(false).build()) {
            List<String> cameBack = new ArrayList<>();
            List<String> notAppliedFirst = new ArrayList<>();
            List<Throwable> answers = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                String session = "s" + i;
                AppendRequest secret = AppendRequest.builder(session, "en").appendId("secret-" + i)
                        .messages(Message.user("secret " + i)).build();
                writer.appendMessages(session, "en", List.of(Message.user("earlier " + i)));
                List<String> seenBeforeTheDelete = new ArrayList<>();
                proxy.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
                // runs after the lost reply, before the store's retry: the user erases the conversation
                hooks.afterFailure(CommandHooks.command("findAndModify", collection), () -> {
                    eraser.readMessages(session, 0, 10).forEach(m -> seenBeforeTheDelete.add(m.text()));
                    eraser.deleteConversation(session);
                });

                answers.add(catchThrowable(() -> writer.appendMessages(secret)));

                if (!seenBeforeTheDelete.contains("secret " + i)) {
                    notAppliedFirst.add(session);
                }
                if (!eraser.readMessages(session, 0, 10).isEmpty()) {
                    cameBack.add(session);
                }
            }
            assertThat(notAppliedFirst).as("sessions whose append was not applied before the delete").isEmpty();
            assertThat(cameBack).as("sessions whose erased message came back").isEmpty();
            assertThat(answers).allSatisfy(thrown -> assertThat(thrown).isInstanceOf(AppendErasedException.class));
            for (int i = 0; i < SESSIONS; i++) {
                AppendRequest secret = AppendRequest.builder("s" + i, "en").appendId("secret-" + i)
                        .messages(Message.user("secret " + i)).build();
                assertThatThrownBy(() -> writer.appendMessages(secret)).as("the caller's own retry")
                        .isInstanceOf(AppendErasedException.class);
                assertThat(eraser.findConversation("s" + i)).isEmpty();
            }
            assertThat(proxy.injected()).isEqualTo(SESSIONS);
        }
    }

    static Stream<Named<Supplier<ConversationStore>>> stores() {
        return BothStores.both();
    }

    @ParameterizedTest
    @MethodSource("stores")
    void appendIdOfTheErasedConversation_repeatedByTheCaller_writesNothing_andANewLifeStartsAtZero(
            Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            AppendRequest secret = AppendRequest.builder("s", "en").appendId("secret").messages(Message.user("secret")).build();
            store.appendMessages(secret);
            store.appendMessages("s", "en", List.of(Message.assistant("reply")));
            assertThat(store.deleteConversation("s")).isEqualTo(2);

            assertThatThrownBy(() -> store.appendMessages(secret)).isInstanceOf(AppendErasedException.class)
                    .hasMessageContaining("secret");
            assertThat(store.findConversation("s")).isEmpty();
            assertThat(store.listConversationIds(null, 10)).isEmpty();

            assertThat(store.appendMessages("s", "de", List.of(Message.user("new life"))).firstSequence()).isZero();
            assertThatThrownBy(() -> store.appendMessages(secret)).as("also in the new life")
                    .isInstanceOf(AppendErasedException.class);
            assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("new life");
            assertThat(store.findConversation("s").orElseThrow().language()).isEqualTo("de");
            assertThat(store.deleteConversation("s")).isEqualTo(1);
            assertThat(store.deleteConversation("s")).as("again: nothing left").isZero();
            assertThatThrownBy(() -> store.appendMessages(secret)).as("after a second erasure")
                    .isInstanceOf(AppendErasedException.class);
        }
    }
}
