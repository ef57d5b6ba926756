package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.testing.BothStores;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Review (attacks that held): delete, revive, delete again; retries of either life's ids; headers,
 * listings and leases on tombstones; counts after a revive.
 */
class TombstoneLifecycleTest {

    static Stream<Named<Supplier<ConversationStore>>> stores() {
        return BothStores.both();
    }

    private static AppendRequest req(String id, String text) {
        return AppendRequest.builder("s", "en").appendId(id).messages(Message.user(text)).build();
    }

    @ParameterizedTest
    @MethodSource("stores")
    void twoLivesErased_retriesOfEitherAreRefused_andTombstonesAreNoConversation(Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            store.appendMessages(req("a1", "life one"));
            store.appendMessages(req("a2", "life one again"));
            assertThat(store.deleteConversation("s")).isEqualTo(2);
            assertThat(store.appendMessages(req("b1", "life two")).firstSequence()).isZero();
            store.appendMessages("s", "en", List.of(Message.assistant("x"), Message.assistant("y")));
            assertThat(store.findConversation("s").orElseThrow().messageCount()).isEqualTo(3);
            assertThat(store.deleteConversation("s")).isEqualTo(3);

            for (String id : List.of("a1", "a2", "b1")) {
                assertThatThrownBy(() -> store.appendMessages(req(id, id.startsWith("a") ? "life one" : "life two")))
                        .as(id).isInstanceOf(AppendErasedException.class);
                // the same id with other content: still erased (never applied)
                assertThatThrownBy(() -> store.appendMessages(req(id, "other"))).as(id + " other content")
                        .isInstanceOf(AppendErasedException.class);
            }
            assertThat(store.findConversation("s")).isEmpty();
            assertThat(store.listConversationIds(null, 10)).isEmpty();
            assertThat(store.recentMessages("s", 10)).isEmpty();
            assertThat(store.readMessages("s", 0, 10)).isEmpty();

            // a lease on a tombstone makes no conversation
            assertThat(store.tryAcquireLease("s", "en", "h1", "turn", Duration.ofSeconds(30))).isTrue();
            assertThat(store.findConversation("s")).isEmpty();
            assertThat(store.listConversationIds(null, 10)).isEmpty();
            // a fenced retry of an erased id by the holder: still erased
            assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s", "en").appendId("b1")
                    .messages(Message.user("life two")).leaseHolder("h1").build())).isInstanceOf(AppendErasedException.class);
            // takeover by the same turn key fences h1 out
            assertThat(store.tryAcquireLease("s", "en", "h2", "turn", Duration.ofSeconds(30))).isTrue();
            assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s", "en").appendId("c1")
                    .messages(Message.user("stale")).leaseHolder("h1").build())).isInstanceOf(LeaseLostException.class);
            assertThat(store.appendMessages(AppendRequest.builder("s", "de").appendId("c2").messages(Message.user("third"))
                    .leaseHolder("h2").renewLease(Duration.ofSeconds(60)).build()).firstSequence()).isZero();
            assertThat(store.findConversation("s").orElseThrow().messageCount()).isEqualTo(1);
            assertThat(store.findConversation("s").orElseThrow().language()).isEqualTo("de");
            assertThat(store.listConversationIds(null, 10)).containsExactly("s");
            assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("third");
            // renewLease on a duplicate after a takeover: the stale holder is told, the lease stays h3's
            assertThat(store.tryAcquireLease("s", "en", "h3", "turn", Duration.ofSeconds(30))).isTrue();
            assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s", "de").appendId("c2").messages(Message.user("third"))
                    .leaseHolder("h2").renewLease(Duration.ofSeconds(60)).build())).isInstanceOf(LeaseLostException.class);
            assertThat(store.renewLease("s", "h2", Duration.ofSeconds(5))).isFalse();
            assertThat(store.tryAcquireLease("s", "en", "h4", Duration.ofSeconds(30))).as("h3 still holds it").isFalse();
            assertThat(store.deleteConversation("s")).isEqualTo(1);
            assertThat(store.deleteConversation("s")).isZero();
        }
    }
}
