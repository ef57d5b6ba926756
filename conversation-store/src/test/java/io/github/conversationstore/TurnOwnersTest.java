package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.StreamingReplyProvider;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Turns that name an owner, on both stores: the conversation is the owner's, listed and erased with it, drafts too. */
class TurnOwnersTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();
    private static final Owner ANA = Owner.of("acme", "ana");
    private static final Owner BEN = Owner.of("acme", "ben");

    @AfterAll
    static void stop() {
        SERVER.close();
    }

    static Stream<Arguments> stores() {
        Supplier<ConversationStore> memory = () -> InMemoryConversationStore.builder().requireOwner(true).build();
        Supplier<ConversationStore> mongo = () -> MongoConversationStore.builder().connectionString(SERVER.connectionString())
                .database("owners").collection("turns" + System.nanoTime()).requireOwner(true).build();
        return Stream.of(Arguments.of("in memory", memory), Arguments.of("embedded MongoDB", mongo));
    }

    private static final StreamingReplyProvider MODEL = (request, deltas) -> {
        deltas.accept("hello ");
        deltas.accept("there");
        return Reply.of("hello there");
    };

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aTurnNamingItsOwner_makesTheConversationTheOwners_andIsErasedWithIt(String name, Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get(); TurnService turns = TurnService.builder(store).provider(MODEL).build()) {
            TurnResult result = turns.respond(new TurnRequest("s1", "en", "hi", "t1").withOwner(ANA));
            assertThat(result.reply().text()).isEqualTo("hello there");
            assertThat(turns.respond(new TurnRequest("s1", "en", "hi", "t1").withOwner(ANA)).replayed()).isTrue();
            assertThat(store.findConversation("s1").orElseThrow().owner()).isEqualTo(ANA);
            assertThat(store.listConversations(ANA, null, 10)).extracting(ConversationHeader::sessionId).containsExactly("s1");
            assertThat(((StoreGate) store).drafts().read("s1", "t1")).isPresent();

            assertThat(store.eraseOwner(ANA).conversations()).isEqualTo(1);
            assertThat(store.findConversation("s1")).isEmpty();
            assertThat(((StoreGate) store).drafts().read("s1", "t1")).as("the turn's draft went with it").isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aTurnWithoutAnOwnerOrWithAnotherOne_isRefused_storingNothing(String name, Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get(); TurnService turns = TurnService.builder(store).provider(MODEL).build()) {
            assertThatThrownBy(() -> turns.respond("s1", "en", "hi", "t0")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("owner is required");
            assertThat(store.readMessages("s1", 0, 10)).isEmpty();
            turns.respond(new TurnRequest("s1", "en", "hi", "t1").withOwner(ANA));
            assertThatThrownBy(() -> turns.respond(new TurnRequest("s1", "en", "mine now", "t2").withOwner(BEN)))
                    .isInstanceOf(OwnerMismatchException.class);
            assertThat(store.readMessages("s1", 0, 10)).extracting(StoredMessage::text).containsExactly("hi", "hello there");
            assertThat(store.listConversations(BEN, null, 10)).isEmpty();
        }
        assertThatThrownBy(() -> new TurnRequest("s1", "en", "hi", "t1").withOwner(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("owner");
        assertThat(List.of(new TurnRequest("s1", "en", "hi", "t1").owner() == null)).containsExactly(true);
    }
}
