package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.testing.BothStores;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Review (attack that held): nothing of the erased life's header comes back with a revive. */
class HeaderAfterReviveTest {

    static Stream<Named<Supplier<ConversationStore>>> stores() {
        return BothStores.both();
    }

    @ParameterizedTest
    @MethodSource("stores")
    void revivedHeader_hasOnlyTheNewLifesLanguageCountAttributesAndCreatedAt(Supplier<ConversationStore> factory)
            throws Exception {
        try (ConversationStore store = factory.get()) {
            store.appendMessages(AppendRequest.builder("s", "en").messages(Message.user("a"), Message.assistant("b"))
                    .headerAttribute("title", "my secret title").build());
            ConversationHeader before = store.findConversation("s").orElseThrow();
            Thread.sleep(20);
            store.deleteConversation("s");
            store.appendMessages(AppendRequest.builder("s", "fr").messages(Message.user("c"))
                    .headerAttribute("mood", "new").build());
            ConversationHeader after = store.findConversation("s").orElseThrow();
            assertThat(after.messageCount()).isEqualTo(1);
            assertThat(after.language()).isEqualTo("fr");
            assertThat(after.attributes()).containsExactlyEntriesOf(java.util.Map.of("mood", "new"));
            assertThat(after.createdAt()).isAfter(before.createdAt());
            assertThat(store.recentMessages("s", 10)).hasSize(1);
            assertThat(store.listConversationIds(null, 10)).containsExactly("s");
            store.appendMessages("s", "de", List.of(Message.assistant("d")));
            assertThat(store.findConversation("s").orElseThrow().language()).as("language never changes").isEqualTo("fr");
        }
    }
}
