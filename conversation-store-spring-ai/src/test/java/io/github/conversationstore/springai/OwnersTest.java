package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Owner;
import io.github.conversationstore.OwnerMismatchException;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.UserMessage;

/** A repository scoped to an owner: its saves name the owner, and it lists only the owner's conversations. */
class OwnersTest {
    private static final Owner ANA = Owner.of("tutor", "ana");
    private static final Owner BEN = Owner.of("tutor", "ben");

    private static void scopedRepositories(ConversationStore store) {
        ConversationStoreChatMemoryRepository ana = ConversationStoreChatMemoryRepository.builder(store).owner(ANA).build();
        ConversationStoreChatMemoryRepository ben = ConversationStoreChatMemoryRepository.builder(store).owner(BEN).build();
        ConversationStoreChatMemoryRepository all = ConversationStoreChatMemoryRepository.builder(store).build();
        ana.saveAll("a2", List.of(new UserMessage("hi"), new AssistantMessage("hello")));
        ana.saveAll("a1", List.of(new UserMessage("hi")));
        ben.saveAll("b1", List.of(new UserMessage("hi")));

        assertThat(ana.findConversationIds()).containsExactly("a1", "a2");
        assertThat(ben.findConversationIds()).containsExactly("b1");
        assertThat(all.findConversationIds()).containsExactly("a1", "a2", "b1");
        assertThat(store.findConversation("a2").orElseThrow().owner()).isEqualTo(ANA);
        assertThatThrownBy(() -> ben.saveAll("a1", List.of(new UserMessage("not yours"))))
                .isInstanceOf(OwnerMismatchException.class);
        assertThat(store.findConversation("a1").orElseThrow().messageCount()).isEqualTo(1);
    }

    @Test
    void inMemory() {
        try (ConversationStore store = InMemoryConversationStore.create()) {
            scopedRepositories(store);
        }
    }

    @Test
    void onTheEmbeddedServer() {
        try (EmbeddedMongo server = new EmbeddedMongo();
                ConversationStore store = MongoConversationStore.builder().connectionString(server.connectionString())
                        .database("owners").build()) {
            scopedRepositories(store);
        }
    }
}
