package io.github.conversationstore.koog;

import static io.github.conversationstore.koog.ChatHistoryProviderTest.assistant;
import static io.github.conversationstore.koog.ChatHistoryProviderTest.system;
import static io.github.conversationstore.koog.ChatHistoryProviderTest.user;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.koog.prompt.message.Message;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.StoredMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Review: a store whose reply is lost after the write, followed not by the same list but by the
 * longer one the agent went on with, stored the messages of the lost store a second time (the new
 * append id covers other messages, so it is no duplicate).
 */
class LostReplyThenLongerListDoublesTest {
    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aStoreAfterALostReply_withMoreMessages_storesEachMessageOnce(Stores.Kind kind) {
        try (ConversationStore base = kind.open()) {
            ChatHistoryProviderTest.LosingStore store = new ChatHistoryProviderTest.LosingStore(base);
            ConversationStoreChatHistoryProvider provider = ConversationStoreChatHistoryProvider.builder(store).build();
            List<Message> history = new ArrayList<>(List.of(system("Be brief."), user("u1"), assistant("a1")));
            provider.storeMessages("c", history);
            history.add(user("u2"));
            history.add(assistant("a2"));
            store.lose.set(1);
            assertThatThrownBy(() -> provider.storeMessages("c", history))
                    .isInstanceOf(ConversationStoreUnavailableException.class);

            history.add(user("u3"));
            history.add(assistant("a3"));
            provider.storeMessages("c", history);

            assertThat(base.readMessages("c", 0, 100)).extracting(StoredMessage::text)
                    .containsExactly("Be brief.", "u1", "a1", "u2", "a2", "u3", "a3");
        }
    }
}
