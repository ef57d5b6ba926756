package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Owner;
import io.github.conversationstore.OwnerMismatchException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A provider scoped to owners: every append names the session's owner, so the store lists and erases by owner. */
class OwnersTest {
    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void everyAppendNamesTheSessionsOwner_andTheStoreListsAndErasesByIt(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            // memory ids "user:conversation": the user part is the owner
            ConversationStoreChatMemoryProvider provider = ConversationStoreChatMemoryProvider.builder().store(store)
                    .owner(session -> Owner.of("tutor", session.substring(0, session.indexOf(':'))))
                    .build();
            for (String id : new String[] {"ana:1", "ana:2", "ben:1"}) {
                ChatMemory memory = provider.get(id);
                memory.add(SystemMessage.from("Be brief."));
                memory.add(UserMessage.from("hi from " + id));
                memory.add(AiMessage.from("hello " + id));
            }

            assertThat(store.listConversations(Owner.of("tutor", "ana"), null, 10)).extracting(ConversationHeader::sessionId)
                    .containsExactly("ana:1", "ana:2");
            assertThat(store.findConversation("ben:1").orElseThrow().owner()).isEqualTo(Owner.of("tutor", "ben"));

            assertThat(store.eraseOwner(Owner.of("tutor", "ana")).conversations()).isEqualTo(2);
            assertThat(provider.get("ana:1").messages()).isEmpty();
            assertThat(provider.get("ben:1").messages()).extracting(m -> m.type().name())
                    .containsExactly("SYSTEM", "USER", "AI");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void anotherOwnersConversationIsRefused(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryProvider.builder().store(store).owner(session -> Owner.of("ana")).build()
                    .get("c1").add(UserMessage.from("Ana's"));
            ChatMemory intruder = ConversationStoreChatMemoryProvider.builder().store(store)
                    .owner(session -> Owner.of("ben")).build().get("c1");

            assertThatThrownBy(() -> intruder.add(UserMessage.from("Ben's"))).isInstanceOf(OwnerMismatchException.class);
            assertThat(store.findConversation("c1").orElseThrow().messageCount()).isEqualTo(1);
        }
    }
}
