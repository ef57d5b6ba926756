package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's owners example, compiled and run against the in-memory store. */
class OwnersExampleTest {
    @Test
    void readmeOwnersExample_listsAndErasesAUsersConversations() {
        byte[] keyEncryptionKey = new byte[32];
        new SecureRandom().nextBytes(keyEncryptionKey);
        ReplyProvider provider = ScriptedReplyProvider.of(request -> Reply.of("Hola."));
        List<String> printed = new java.util.ArrayList<>();

        // --- owners ---
        try (ConversationStore store = InMemoryConversationStore.builder()
                .requireOwner(true)                                          // every append names its owner
                .encryption(LocalKeyProvider.of("kek-1", keyEncryptionKey))  // a data key per conversation
                .build();
                TurnService turns = TurnService.builder(store).provider(provider).build()) {
            Owner ana = Owner.of("acme", "ana");   // a user id, optionally under a tenant
            turns.respond(new TurnRequest("s-1", "es", "Hola", "turn-1").withOwner(ana));
            store.appendMessages(AppendRequest.builder("s-2", "es").owner(ana).messages(Message.user("¿Qué tal?")).build());
            for (ConversationHeader header : store.listConversations(ana, null, 50)) {   // keyset pages
                printed.add(header.sessionId());
            }
            OwnerErasure erased = store.eraseOwner(ana);   // every conversation, its keys first; resumable
            printed.add(erased.conversations() + " conversations erased");
        }
        // --- end owners ---

        assertThat(printed).containsExactly("s-1", "s-2", "2 conversations erased");
    }
}
