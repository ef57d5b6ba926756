package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.testing.BothStores;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Review (attack that held): a dedupBeyondWindow repeat, long archived, with the same and with other content. */
class DedupBeyondWindowOtherContentTest {

    static Stream<Named<Supplier<ConversationStore>>> stores() {
        return Stream.of(
                Named.of("in-memory", () -> InMemoryConversationStore.builder().appendIdWindow(64).build()),
                Named.of("mongo", () -> MongoConversationStore.builder().connectionString(BothStores.server().connectionString())
                        .database("review").collection("dedupOther" + System.nanoTime()).appendIdWindow(64)
                        .maxHeadMessages(16).build()));
    }

    @ParameterizedTest
    @MethodSource("stores")
    void archivedRepeat_sameContentIsADuplicate_otherContentAConflict(Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            store.appendMessages("s", "en", List.of(Message.user("first")));
            AppendRequest original = AppendRequest.builder("s", "en").appendId("t").dedupBeyondWindow(true)
                    .messages(Message.user("q"), Message.assistant("a")).build();
            store.appendMessages(original);
            for (int i = 0; i < 150; i++) {
                store.appendMessages("s", "en", List.of(Message.user("m" + i)));
            }
            AppendResult again = store.appendMessages(original);
            assertThat(again.duplicate()).isTrue();
            assertThat(again.firstSequence()).isEqualTo(1);
            for (AppendRequest other : List.of(
                    AppendRequest.builder("s", "en").appendId("t").dedupBeyondWindow(true).messages(Message.user("q")).build(),
                    AppendRequest.builder("s", "en").appendId("t").dedupBeyondWindow(true)
                            .messages(Message.user("q"), Message.assistant("other")).build(),
                    AppendRequest.builder("s", "en").appendId("t").dedupBeyondWindow(true)
                            .messages(Message.user("q"), Message.assistant("a"), Message.user("more")).build())) {
                assertThatThrownBy(() -> store.appendMessages(other)).isInstanceOf(AppendConflictException.class);
            }
            assertThat(store.findConversation("s").orElseThrow().messageCount()).isEqualTo(153);
        }
    }
}
