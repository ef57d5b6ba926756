package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Forks (issue 23): mixed into the contract suite, so it runs on the in-memory store (with and
 * without encryption), the embedded server, tiny heads (constant moves) and real servers.
 */
interface ForkContract {

    /** The store under test, fresh for each test. */
    ConversationStore store();

    /**
     * Which of {@code texts} the store's storage still holds anywhere (raw documents of its
     * collections, or the in-memory store's lives), or null if the backend cannot tell.
     */
    Set<String> storedTexts(Collection<String> texts);

    /** Appends {@code count} messages "{prefix} i" (alternating user, assistant), one per append. */
    private List<String> append(String sessionId, String prefix, int count) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String text = prefix + " " + i;
            store().appendMessages(sessionId, "es", List.of(i % 2 == 0 ? Message.user(text) : Message.assistant(text)));
            texts.add(text);
        }
        return texts;
    }

    private List<String> texts(String sessionId) {
        List<String> out = new ArrayList<>();
        long next = 0;
        while (true) {
            List<StoredMessage> page = store().readMessages(sessionId, next, 7);
            for (StoredMessage m : page) {
                assertThat(m.sequence()).as("dense and ordered").isEqualTo(next);
                out.add(m.message().text());
                next++;
            }
            if (page.size() < 7) {
                return out;
            }
        }
    }

    /** Every read (pages of every size from every position, windows of every length) agrees with {@code expected}. */
    private void readsWhole(String sessionId, List<String> expected) {
        assertThat(texts(sessionId)).containsExactlyElementsOf(expected);
        int n = expected.size();
        for (int limit = 1; limit <= n + 1; limit += Math.max(1, n / 5)) {
            List<StoredMessage> recent = store().recentMessages(sessionId, limit);
            int take = Math.min(limit, n);
            assertThat(recent).extracting(m -> m.message().text()).containsExactlyElementsOf(expected.subList(n - take, n));
            if (!recent.isEmpty()) {
                assertThat(recent.get(0).sequence()).isEqualTo(n - take);
            }
            for (int from = 0; from < n; from += Math.max(1, n / 4)) {
                List<StoredMessage> page = store().readMessages(sessionId, from, limit);
                assertThat(page).extracting(m -> m.message().text())
                        .containsExactlyElementsOf(expected.subList(from, Math.min(n, from + limit)));
            }
        }
        assertThat(store().findConversation(sessionId).orElseThrow().messageCount()).isEqualTo(n);
    }

    private static String unique(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    default void fork_sharesThePrefix_andThenGrowsOnItsOwn() {
        String p = unique("parent");
        List<String> parent = append(p, p, 10);
        ConversationHeader fork = store().fork(p, 6, p + "-fork");

        assertThat(fork.sessionId()).isEqualTo(p + "-fork");
        assertThat(fork.messageCount()).isEqualTo(6);
        assertThat(fork.language()).isEqualTo("es");
        assertThat(fork.forkedFrom().sessionId()).isEqualTo(p);
        assertThat(fork.forkedFrom().atSequence()).isEqualTo(6);
        assertThat(store().findConversation(p + "-fork").orElseThrow().forkedFrom()).isEqualTo(fork.forkedFrom());
        assertThat(store().findConversation(p).orElseThrow().forkedFrom()).isNull();
        List<StoredMessage> shared = store().readMessages(p + "-fork", 0, 100);
        assertThat(shared).extracting(StoredMessage::message).containsExactlyElementsOf(
                store().readMessages(p, 0, 6).stream().map(StoredMessage::message).toList());

        AppendResult own = store().appendMessages(p + "-fork", "es", List.of(Message.user("branch 6")));
        assertThat(own.firstSequence()).isEqualTo(6);
        assertThat(own.conversationCreated()).isFalse();
        store().appendMessages(p, "es", List.of(Message.user("parent 10")));

        List<String> expected = new ArrayList<>(parent.subList(0, 6));
        expected.add("branch 6");
        readsWhole(p + "-fork", expected);
        List<String> parentAfter = new ArrayList<>(parent);
        parentAfter.add("parent 10");
        readsWhole(p, parentAfter);
    }

    @Test
    default void fork_ofAForkOfAFork_readsAcrossEveryBoundary() {
        String root = unique("root");
        List<String> expected = new ArrayList<>(append(root, root, 30));
        String level1 = root + "-1";
        store().fork(root, 20, level1);
        expected = new ArrayList<>(expected.subList(0, 20));
        expected.addAll(append(level1, level1, 15));
        String level2 = root + "-2";
        store().fork(level1, 27, level2); // 20 of the root's, 7 of level 1's
        expected = new ArrayList<>(expected.subList(0, 27));
        expected.addAll(append(level2, level2, 9));
        String level3 = root + "-3";
        ConversationHeader third = store().fork(level2, 31, level3);
        expected = new ArrayList<>(expected.subList(0, 31));
        expected.addAll(append(level3, level3, 5));

        assertThat(third.forkedFrom().sessionId()).isEqualTo(level2);
        readsWhole(level3, expected);
        // appends to the ancestors after the forks change nothing for the descendants
        append(root, root + " later", 5);
        append(level1, level1 + " later", 5);
        readsWhole(level3, expected);
        // a fork at the very start and at the very end
        assertThat(store().fork(level3, 0, root + "-empty").messageCount()).isZero();
        assertThat(store().readMessages(root + "-empty", 0, 10)).isEmpty();
        assertThat(store().findConversation(root + "-empty")).isPresent();
        store().fork(level3, expected.size(), root + "-whole");
        readsWhole(root + "-whole", expected);
    }

    @Test
    default void fork_expectedSequence_startsWhereTheForkBranchedOff() {
        String p = unique("p");
        append(p, p, 9);
        store().fork(p, 4, p + "-f");
        assertThatThrownBy(() -> store().appendMessages(AppendRequest.builder(p + "-f", "es").expectedSequence(9)
                .messages(Message.user("stale")).build()))
                .isInstanceOfSatisfying(SequenceMismatchException.class, e -> assertThat(e.actualNextSequence()).isEqualTo(4));
        assertThat(store().appendMessages(AppendRequest.builder(p + "-f", "es").expectedSequence(4)
                .messages(Message.user("expected")).build()).firstSequence()).isEqualTo(4);
        assertThat(texts(p + "-f")).containsExactly(p + " 0", p + " 1", p + " 2", p + " 3", "expected");
    }

    @Test
    default void fork_repeatedWithTheSameArguments_makesOneFork() {
        String p = unique("p");
        append(p, p, 4);
        ConversationHeader first = store().fork(p, 2, p + "-f");
        store().appendMessages(p + "-f", "es", List.of(Message.user("own")));
        ConversationHeader again = store().fork(p, 2, p + "-f");

        assertThat(again.sessionId()).isEqualTo(first.sessionId());
        assertThat(again.forkedFrom()).isEqualTo(first.forkedFrom());
        assertThat(again.messageCount()).isEqualTo(3); // the fork as it is now
        assertThat(store().listForks(p, null, 10)).extracting(ConversationHeader::sessionId).containsExactly(p + "-f");
        assertThat(texts(p + "-f")).containsExactly(p + " 0", p + " 1", "own");
    }

    @Test
    default void fork_badInput_isRefusedNamingTheArgument_andWritesNothing() {
        String p = unique("p");
        append(p, p, 4);
        append(p + "-other", p, 1);
        assertThatThrownBy(() -> store().fork(p, 5, p + "-x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("atSequence").hasMessageContaining("5");
        assertThatThrownBy(() -> store().fork(p, -1, p + "-x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("atSequence");
        assertThatThrownBy(() -> store().fork(p, 2, p + "-other")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("newSessionId");
        assertThatThrownBy(() -> store().fork(p, 2, p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("newSessionId");
        assertThatThrownBy(() -> store().fork(p + "-missing", 0, p + "-x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sessionId");
        assertThatThrownBy(() -> store().fork(p, 2, " ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("newSessionId");
        assertThatThrownBy(() -> store().fork(p, 2, null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("newSessionId");
        store().deleteConversation(p + "-other");
        assertThatThrownBy(() -> store().fork(p, 2, p + "-other")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("newSessionId").hasMessageContaining("deleted");
        store().deleteConversation(p);
        assertThatThrownBy(() -> store().fork(p, 0, p + "-x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sessionId").hasMessageContaining("deleted");

        assertThat(store().findConversation(p + "-x")).isEmpty();
        assertThat(store().readMessages(p + "-x", 0, 10)).isEmpty();
        assertThat(store().listForks(p, null, 10)).isEmpty();
        // nothing was written under the refused id: it can still be used
        store().appendMessages(p + "-x", "es", List.of(Message.user("fresh")));
        assertThat(store().readMessages(p + "-x", 0, 10)).extracting(m -> m.message().text()).containsExactly("fresh");
    }

    @Test
    default void fork_intoASessionHoldingOnlyALease_takesIt() {
        String p = unique("p");
        append(p, p, 3);
        assertThat(store().tryAcquireLease(p + "-f", "es", "me", Duration.ofSeconds(30))).isTrue();
        store().fork(p, 2, p + "-f");
        store().appendMessages(AppendRequest.builder(p + "-f", "es").leaseHolder("me").messages(Message.user("fenced")).build());
        assertThat(texts(p + "-f")).containsExactly(p + " 0", p + " 1", "fenced");
    }

    @Test
    default void fork_getsTheParentsOwner() {
        String p = unique("p");
        Owner ana = Owner.of("tutor", unique("ana"));
        store().appendMessages(AppendRequest.builder(p, "es").owner(ana).messages(Message.user("mine")).build());
        ConversationHeader fork = store().fork(p, 1, p + "-f");

        assertThat(fork.owner()).isEqualTo(ana);
        assertThat(store().listConversations(ana, null, 10)).extracting(ConversationHeader::sessionId)
                .containsExactly(p, p + "-f");
        assertThatThrownBy(() -> store().appendMessages(AppendRequest.builder(p + "-f", "es").owner(Owner.of("ben"))
                .messages(Message.user("not yours")).build())).isInstanceOf(OwnerMismatchException.class);
        store().eraseOwner(ana);
        assertThat(store().findConversation(p)).isEmpty();
        assertThat(store().findConversation(p + "-f")).isEmpty();
        Set<String> held = storedTexts(List.of("mine"));
        if (held != null) {
            assertThat(held).as("erased with its owner, fork and all").isEmpty();
        }
    }

    @Test
    default void listForks_pagesByKeyset_andLeavesDeletedForksOut() {
        String p = unique("p");
        append(p, p, 3);
        for (int i = 0; i < 5; i++) {
            store().fork(p, i % 3, p + "-f" + i);
        }
        store().fork(p + "-f1", 1, p + "-grandchild"); // not a direct fork of p
        List<ConversationHeader> first = store().listForks(p, null, 2);
        assertThat(first).extracting(ConversationHeader::sessionId).containsExactly(p + "-f0", p + "-f1");
        assertThat(store().listForks(p, p + "-f1", 2)).extracting(ConversationHeader::sessionId)
                .containsExactly(p + "-f2", p + "-f3");
        store().deleteConversation(p + "-f3");
        assertThat(store().listForks(p, p + "-f1", 10)).extracting(ConversationHeader::sessionId)
                .containsExactly(p + "-f2", p + "-f4");
        assertThat(store().listForks(p + "-f1", null, 10)).extracting(ConversationHeader::sessionId)
                .containsExactly(p + "-grandchild");
        assertThatThrownBy(() -> store().listForks(p, null, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limit");
    }

    @Test
    default void deleteConversation_ofAFork_leavesTheParentWhole() {
        String p = unique("p");
        List<String> parent = append(p, p, 12);
        store().fork(p, 8, p + "-f");
        List<String> own = append(p + "-f", p + " branch", 6);
        store().deleteConversation(p + "-f");

        readsWhole(p, parent);
        assertThat(store().findConversation(p + "-f")).isEmpty();
        Set<String> held = storedTexts(own);
        if (held != null) {
            assertThat(held).isEmpty();
        }
    }

    @Test
    default void deleteConversation_ofAParent_keepsWhatItsForksRead_andErasesTheRest() {
        String p = unique("p");
        List<String> parent = append(p, p, 40);
        String a = p + "-a";
        String b = p + "-b";
        store().fork(p, 12, a);
        List<String> aOwn = append(a, p + " a", 10);
        store().fork(a, 16, b); // 12 of the parent's, 4 of a's
        List<String> bOwn = append(b, p + " b", 3);
        store().writeSummary(p, Summary.of(0, 10, p + " summary early", 4));
        store().writeSummary(p, Summary.of(10, 30, p + " summary late", 4));

        store().deleteConversation(p);
        assertThat(store().findConversation(p)).isEmpty();
        assertThat(store().readMessages(p, 0, 100)).isEmpty();
        List<String> aExpected = new ArrayList<>(parent.subList(0, 12));
        aExpected.addAll(aOwn);
        readsWhole(a, aExpected);
        List<String> bExpected = new ArrayList<>(aExpected.subList(0, 16));
        bExpected.addAll(bOwn);
        readsWhole(b, bExpected);
        assertThat(store().summaries(a)).extracting(s -> s.message().text()).containsExactly(p + " summary early");
        Set<String> held = storedTexts(parent);
        if (held != null) {
            assertThat(held).as("the parent's messages no fork reads are gone")
                    .containsExactlyInAnyOrderElementsOf(parent.subList(0, 12));
            assertThat(storedTexts(List.of(p + " summary late"))).isEmpty();
        }

        store().deleteConversation(a);
        readsWhole(b, bExpected);
        if (held != null) {
            assertThat(storedTexts(aOwn)).containsExactlyInAnyOrderElementsOf(aOwn.subList(0, 4));
        }
        store().deleteConversation(b);
        if (held != null) {
            List<String> all = new ArrayList<>(parent);
            all.addAll(aOwn);
            all.addAll(bOwn);
            all.add(p + " summary early");
            assertThat(storedTexts(all)).as("the last fork gone, the whole family is").isEmpty();
        }
        // the ids live again, as new conversations
        store().appendMessages(p, "es", List.of(Message.user("new life")));
        assertThat(texts(p)).containsExactly("new life");
    }

    @Test
    default void summaries_andTokenWindows_workAcrossTheBoundary() {
        String p = unique("p");
        append(p, p, 10);
        Summary early = store().writeSummary(p, Summary.of(0, 4, "the first four", 3));
        store().writeSummary(p, Summary.of(4, 8, "beyond the fork", 3));
        store().fork(p, 6, p + "-f");
        append(p + "-f", p + " own", 4);

        assertThat(store().summaries(p + "-f")).containsExactly(early);
        ContextWindow window = store().contextWindow(p + "-f", 10_000);
        assertThat(window.summary()).contains(early);
        assertThat(window.storedMessages()).extracting(m -> m.message().text())
                .containsExactly(p + " 4", p + " 5", p + " own 0", p + " own 1", p + " own 2", p + " own 3");
        // the fork's own summaries go on from the shared one
        Summary own = store().writeSummary(p + "-f", Summary.of(4, 8, "across the boundary", 3));
        assertThat(store().summaries(p + "-f")).containsExactly(early, own);
        assertThat(store().summaries(p)).extracting(Summary::toSequence).containsExactly(4L, 8L);
        assertThat(store().writeSummary(p + "-f", Summary.of(0, 4, "again", 3))).isEqualTo(early);
    }
}
