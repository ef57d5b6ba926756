package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Owners, listing per owner and erasing an owner: mixed into the contract suite, so it runs on the
 * in-memory store, the embedded server, tiny heads (erasures with archives) and real servers.
 */
interface OwnerContract {

    /** The store under test, fresh for each test. */
    ConversationStore store();

    /** A fresh store over empty storage that requires every append to name an owner; the test closes it. */
    ConversationStore createStoreRequiringOwner();

    Owner ANA = Owner.of("tutor", "ana");
    Owner BEN = Owner.of("tutor", "ben");

    private static AppendRequest append(String sessionId, Owner owner, String text) {
        AppendRequest.Builder b = AppendRequest.builder(sessionId, "en").messages(Message.user(text));
        return (owner == null ? b : b.owner(owner)).build();
    }

    @Test
    default void owner_isSetByTheFirstAppendNamingIt_andShownInTheHeader() {
        store().appendMessages(append("a1", ANA, "hi"));
        store().appendMessages(append("a1", null, "an append naming no owner still writes"));

        ConversationHeader header = store().findConversation("a1").orElseThrow();
        assertThat(header.owner()).isEqualTo(ANA);
        assertThat(header.messageCount()).isEqualTo(2);
        assertThat(store().findConversation("a1").orElseThrow().owner().tenant()).isEqualTo("tutor");
    }

    @Test
    default void owner_isFixedOnceSet_anotherOwnerIsRefusedAndNothingIsWritten() {
        store().appendMessages(append("a1", ANA, "hi"));

        assertThatThrownBy(() -> store().appendMessages(append("a1", BEN, "not yours")))
                .isInstanceOf(OwnerMismatchException.class)
                .hasMessageContaining("a1").hasMessageContaining("owner");
        // same user id without the tenant is another owner
        assertThatThrownBy(() -> store().appendMessages(append("a1", Owner.of("ana"), "no tenant")))
                .isInstanceOf(OwnerMismatchException.class);

        assertThat(store().findConversation("a1").orElseThrow().messageCount()).isEqualTo(1);
        assertThat(store().findConversation("a1").orElseThrow().owner()).isEqualTo(ANA);
        assertThat(store().recentMessages("a1", 10)).extracting(m -> m.message().text()).containsExactly("hi");
    }

    @Test
    default void owner_aConversationWithoutOneIsClaimedByTheFirstAppendNamingOne() {
        store().appendMessages(append("c1", null, "before owners"));
        assertThat(store().findConversation("c1").orElseThrow().owner()).isNull();

        store().appendMessages(append("c1", ANA, "now Ana's"));

        assertThat(store().findConversation("c1").orElseThrow().owner()).isEqualTo(ANA);
        assertThat(store().listConversations(ANA, null, 10)).extracting(ConversationHeader::sessionId).containsExactly("c1");
    }

    @Test
    default void owner_aRetryOfTheSameAppendIsADuplicate() {
        AppendRequest request = append("a1", ANA, "hi");
        store().appendMessages(request);

        AppendResult again = store().appendMessages(request);

        assertThat(again.duplicate()).isTrue();
        assertThat(store().findConversation("a1").orElseThrow().messageCount()).isEqualTo(1);
    }

    @Test
    default void owner_badIdsAreRefusedNamingTheIdAndTheRule() {
        assertThatThrownBy(() -> Owner.of(" ")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("userId");
        assertThatThrownBy(() -> Owner.of("x".repeat(ConversationStore.MAX_ID_LENGTH + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("userId").hasMessageContaining("at most");
        assertThatThrownBy(() -> Owner.of("t\u0001", "u")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tenant").hasMessageContaining("control");
        assertThatThrownBy(() -> Owner.of(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("userId");
        assertThatThrownBy(() -> store().listConversations(ANA, null, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limit");
        assertThatThrownBy(() -> store().listConversations(ANA, null, ConversationStore.MAX_READ_LIMIT + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
        assertThatThrownBy(() -> store().listConversations(null, null, 10)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("owner");
        assertThatThrownBy(() -> store().eraseOwner(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("owner");
    }

    @Test
    default void listConversations_pagesOneOwnersConversationsInIdOrder() {
        for (String id : List.of("s3", "s1", "s5", "s2", "s4")) {
            store().appendMessages(append(id, ANA, "hi " + id));
        }
        store().appendMessages(append("b1", BEN, "Ben's"));
        store().appendMessages(append("s0", Owner.of("ana"), "another Ana, no tenant"));
        store().appendMessages(append("n1", null, "nobody's"));

        List<ConversationHeader> first = store().listConversations(ANA, null, 2);
        List<ConversationHeader> second = store().listConversations(ANA, first.get(1).sessionId(), 2);
        List<ConversationHeader> third = store().listConversations(ANA, second.get(1).sessionId(), 2);

        assertThat(first).extracting(ConversationHeader::sessionId).containsExactly("s1", "s2");
        assertThat(second).extracting(ConversationHeader::sessionId).containsExactly("s3", "s4");
        assertThat(third).extracting(ConversationHeader::sessionId).containsExactly("s5");
        assertThat(first).allSatisfy(h -> {
            assertThat(h.owner()).isEqualTo(ANA);
            assertThat(h.messageCount()).isEqualTo(1);
        });
        assertThat(store().listConversations(BEN, null, 10)).extracting(ConversationHeader::sessionId).containsExactly("b1");
        assertThat(store().listConversations(Owner.of("ana"), null, 10)).extracting(ConversationHeader::sessionId)
                .containsExactly("s0");
        assertThat(store().listConversations(Owner.of("nobody"), null, 10)).isEmpty();
    }

    @Test
    default void eraseOwner_erasesEveryConversationOfTheOwnerAndNothingElse() {
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < 3; j++) {
                store().appendMessages(append("ana-" + i, ANA, "message " + j));
            }
        }
        store().appendMessages(append("ben-1", BEN, "Ben keeps this"));
        store().appendMessages(append("none", null, "so does nobody"));

        OwnerErasure erased = store().eraseOwner(ANA);

        assertThat(erased.owner()).isEqualTo(ANA);
        assertThat(erased.conversations()).isEqualTo(7);
        assertThat(erased.messages()).isEqualTo(21);
        assertThat(store().listConversations(ANA, null, 100)).isEmpty();
        for (int i = 0; i < 7; i++) {
            assertThat(store().findConversation("ana-" + i)).isEmpty();
            assertThat(store().readMessages("ana-" + i, 0, 100)).isEmpty();
        }
        assertThat(store().findConversation("ben-1").orElseThrow().messageCount()).isEqualTo(1);
        assertThat(store().findConversation("none").orElseThrow().messageCount()).isEqualTo(1);
        // again: nothing left, not an error; an unknown owner likewise
        assertThat(store().eraseOwner(ANA)).isEqualTo(new OwnerErasure(ANA, 0, 0));
        assertThat(store().eraseOwner(Owner.of("nobody"))).isEqualTo(new OwnerErasure(Owner.of("nobody"), 0, 0));
        // a session id used again starts a new conversation, owned only if an append names the owner
        store().appendMessages(append("ana-0", null, "a new life"));
        assertThat(store().findConversation("ana-0").orElseThrow().owner()).isNull();
        assertThat(store().recentMessages("ana-0", 10)).extracting(m -> m.message().text()).containsExactly("a new life");
    }

    @Test
    default void eraseOwner_pagesThroughMoreConversationsThanOneBatch() {
        int count = ConversationStore.ERASE_OWNER_BATCH + 5;
        for (int i = 0; i < count; i++) {
            store().appendMessages(append(String.format("m-%03d", i), ANA, "x"));
        }

        assertThat(store().eraseOwner(ANA).conversations()).isEqualTo(count);
        assertThat(store().listConversations(ANA, null, 1000)).isEmpty();
    }

    @Test
    default void eraseOwner_aConversationStartedWhileItRunsIsErasedWholeOrKeptWhole() throws Exception {
        for (int i = 0; i < 30; i++) {
            store().appendMessages(append("old-" + i, ANA, "old"));
        }
        AtomicBoolean stop = new AtomicBoolean();
        Map<String, Integer> written = new ConcurrentHashMap<>();
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            Future<?> writing = writer.submit(() -> {
                for (int i = 0; !stop.get() && i < 200; i++) {
                    String id = "new-" + i;
                    store().appendMessages(AppendRequest.builder(id, "en").owner(ANA)
                            .messages(Message.user("q" + i), Message.assistant("a" + i)).build());
                    written.put(id, 2);
                }
            });
            OwnerErasure erased = store().eraseOwner(ANA);
            stop.set(true);
            writing.get(30, TimeUnit.SECONDS);
            assertThat(erased.conversations()).isGreaterThanOrEqualTo(30);
        } finally {
            writer.shutdownNow();
        }
        for (int i = 0; i < 30; i++) {
            assertThat(store().findConversation("old-" + i)).as("old-" + i + " existed before the call").isEmpty();
        }
        List<String> kept = new ArrayList<>();
        for (String id : written.keySet()) {
            long count = store().findConversation(id).map(ConversationHeader::messageCount).orElse(0L);
            assertThat(count).as(id + " is erased whole or kept whole").isIn(0L, 2L);
            if (count == 2) {
                kept.add(id);
            }
        }
        assertThat(store().listConversations(ANA, null, 1000)).extracting(ConversationHeader::sessionId)
                .containsExactlyInAnyOrderElementsOf(kept);
    }

    @Test
    default void requireOwner_anAppendNamingNoOwnerIsRefusedAndNothingIsWritten() {
        try (ConversationStore strict = createStoreRequiringOwner()) {
            assertThatThrownBy(() -> strict.appendMessages(append("r1", null, "whose?")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("owner is required").hasMessageContaining("r1");
            assertThat(strict.findConversation("r1")).isEmpty();

            strict.appendMessages(append("r1", ANA, "Ana's"));
            assertThat(strict.findConversation("r1").orElseThrow().owner()).isEqualTo(ANA);
        }
    }
}
