package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;

import static io.github.conversationstore.testing.FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Failures the embedded server cannot produce, injected by a TCP proxy between driver and server:
 * a reply lost after the write was applied, E11000 from a lost creation race, size errors.
 */
class MongoConversationStoreFaultTest extends EmbeddedMongoTestBase {
    private FaultInjectingProxy proxy;
    private MongoClient proxied;
    private MongoConversationStore store;

    @BeforeEach
    void connectThroughProxy() throws Exception {
        proxy = new FaultInjectingProxy(server.port());
        proxied = proxy.client();
        store = newStore(4);
    }

    private MongoConversationStore newStore(int maxAttempts) {
        return MongoConversationStore.builder().client(proxied).database("faults")
                .collection("conversations_" + System.nanoTime()).maxAttempts(maxAttempts).build();
    }

    @AfterEach
    void disconnect() throws Exception {
        proxied.close();
        proxy.close();
    }

    private static List<Message> pair(String user, String bot) {
        return List.of(Message.user(user), Message.assistant(bot));
    }

    private List<StoredMessage> all(String session) {
        return store.readMessages(session, 0, 1000);
    }

    @Test
    void appendMessages_replyLostAfterServerApplied_retriesAndStoresOnce() {
        store.appendMessages("s1", "en", pair("a", "b"));
        AppendRequest request = AppendRequest.builder("s1", "en").appendId("turn-2").messages(pair("c", "d")).build();
        proxy.arm(DROP_REPLY_AFTER_APPLY, "findAndModify", 1);

        AppendResult result = store.appendMessages(request);

        assertThat(proxy.injected()).isEqualTo(1);
        assertThat(result.duplicate()).isFalse();
        assertThat(result.firstSequence()).isEqualTo(2);
        assertThat(all("s1")).extracting(StoredMessage::text).containsExactly("a", "b", "c", "d");
        AppendResult repeated = store.appendMessages(request);
        assertThat(repeated.duplicate()).isTrue();
        assertThat(repeated.firstSequence()).isEqualTo(2);
        assertThat(all("s1")).hasSize(4);
    }

    @Test
    void appendMessages_replyLostOnFirstAppendOfSession_reportsCreatedOnce() {
        proxy.arm(DROP_REPLY_AFTER_APPLY, "findAndModify", 1);

        AppendResult result = store.appendMessages("new", "en", pair("a", "b"));

        assertThat(proxy.injected()).isEqualTo(1);
        assertThat(result.conversationCreated()).isTrue();
        assertThat(result.duplicate()).isFalse();
        assertThat(all("new")).extracting(StoredMessage::text).containsExactly("a", "b");
    }

    @Test
    void appendMessages_duplicateKeyOnUpsertOfNewSession_retriedWithoutError() {
        proxy.armError(FaultInjectingProxy.duplicateKeyError(), "findAndModify", 3);

        AppendResult result = store.appendMessages("new", "en", pair("a", "b"));

        assertThat(proxy.injected()).isEqualTo(3);
        assertThat(result.firstSequence()).isZero();
        assertThat(result.conversationCreated()).isTrue();
        assertThat(all("new")).extracting(StoredMessage::text).containsExactly("a", "b");
    }

    @Test
    void appendMessages_duplicateKeyOnExistingSession_retriedAndAppliedOnce() {
        store.appendMessages("s1", "en", pair("a", "b"));
        proxy.armError(FaultInjectingProxy.duplicateKeyError(), "findAndModify", 2);

        AppendResult result = store.appendMessages("s1", "en", pair("c", "d"));

        assertThat(result.firstSequence()).isEqualTo(2);
        assertThat(result.duplicate()).isFalse();
        assertThat(all("s1")).extracting(StoredMessage::text).containsExactly("a", "b", "c", "d");
    }

    @Test
    void appendMessages_duplicateKeyOnEveryAttempt_failsRetryablyWithoutDriverException() {
        proxy.armError(FaultInjectingProxy.duplicateKeyError(), "findAndModify", 100);

        assertThatThrownBy(() -> store.appendMessages("new", "en", pair("a", "b")))
                .isInstanceOf(ConcurrentAppendException.class)
                .isNotInstanceOf(MongoException.class)
                .hasMessageContaining("'new'")
                .satisfies(e -> assertThat(((ConversationStoreException) e).isRetryable()).isTrue());
        assertThat(proxy.injected()).isEqualTo(4);
        assertThat(store.findConversation("new")).isEmpty();
    }

    @Test
    void appendMessages_everyReplyLost_failsUnavailableButCallerRetryIsDuplicate() {
        AppendRequest request = AppendRequest.builder("s1", "en").appendId("turn-1").messages(pair("a", "b")).build();
        proxy.arm(DROP_REPLY_AFTER_APPLY, "findAndModify", 100);

        assertThatThrownBy(() -> store.appendMessages(request))
                .isInstanceOf(ConversationStoreUnavailableException.class)
                .hasMessageContaining("retry with the same append id");

        proxy.arm(DROP_REPLY_AFTER_APPLY, "findAndModify", 0);
        AppendResult retried = store.appendMessages(request);
        assertThat(retried.duplicate()).isTrue();
        assertThat(all("s1")).extracting(StoredMessage::text).containsExactly("a", "b");
    }

    @ParameterizedTest(name = "server code {0}")
    @ValueSource(ints = {10334, 17419, 17420})
    void appendMessages_serverSizeError_isTooLargeAndNotRetried(int code) {
        proxy.armError(FaultInjectingProxy.error(code, "BSONObjectTooLarge"), "findAndModify", 10);

        assertThatThrownBy(() -> store.appendMessages("new", "en", pair("a", "b")))
                .isInstanceOf(ConversationTooLargeException.class)
                .satisfies(e -> assertThat(((ConversationStoreException) e).isRetryable()).isFalse());
        assertThat(proxy.injected()).isEqualTo(1);
    }

    @Test
    void recentMessages_replyLost_retriedTransparently() {
        store.appendMessages("s1", "en", pair("a", "b"));
        proxy.arm(DROP_REPLY_AFTER_APPLY, "find", 1);

        assertThat(store.recentMessages("s1", 10)).extracting(StoredMessage::text).containsExactly("a", "b");
        assertThat(proxy.injected()).isEqualTo(1);
    }

    @Test
    void appendMessages_batchOverSixteenMegabytes_isTooLargeAndStoresNothing() {
        String text = "x".repeat(64 * 1024);
        List<Message> batch = java.util.Collections.nCopies(256, Message.user(text));

        assertThatThrownBy(() -> store.appendMessages("new", "en", batch))
                .isInstanceOf(ConversationTooLargeException.class);
        assertThat(store.findConversation("new")).isEmpty();
    }
}
