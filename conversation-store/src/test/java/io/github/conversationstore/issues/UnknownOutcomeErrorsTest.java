package io.github.conversationstore.issues;

import io.github.conversationstore.testing.CommandHooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 8: {@code IncompleteTransactionHistory} (217) and an interrupted operation may
 * have been applied, yet they surfaced as plain, non-retryable failures.
 */
class UnknownOutcomeErrorsTest extends EmbeddedMongoTestBase {

    @Test
    void incompleteTransactionHistory_isRetriedWithTheSameAppendId_andStoredOnce() throws Exception {
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient viaProxy = MongoClients.create(proxy.connectionString());
                MongoConversationStore store = MongoConversationStore.builder().client(viaProxy).database("issues")
                        .collection("c" + System.nanoTime()).maxAttempts(3).build()) {
            proxy.armError(FaultInjectingProxy.error(217, "IncompleteTransactionHistory"), "findAndModify", 1);
            store.appendMessages("s", "en", List.of(Message.user("once")));
            assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("once");

            proxy.armError(FaultInjectingProxy.error(217, "IncompleteTransactionHistory"), "findAndModify", 100);
            AppendRequest request = AppendRequest.builder("s", "en").appendId("unknown").messages(Message.user("maybe")).build();
            assertThatThrownBy(() -> store.appendMessages(request))
                    .isInstanceOf(ConversationStoreUnavailableException.class)
                    .hasMessageContaining("retry with the same append id")
                    .satisfies(e -> assertThat(((ConversationStoreUnavailableException) e).isRetryable()).isTrue());
            proxy.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, "nothing-matches-this", 0);
        }
    }

    @Test
    void interruptedAppend_isRetryableAndKeepsTheInterrupt() {
        try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("issues")
                .collection("c" + System.nanoTime()).build()) {
            store.appendMessages("s", "en", List.of(Message.user("first")));
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(() -> store.appendMessages("s", "en", List.of(Message.user("interrupted"))))
                        .isInstanceOf(ConversationStoreUnavailableException.class)
                        .hasMessageContaining("retry with the same append id");
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
        }
    }
}
