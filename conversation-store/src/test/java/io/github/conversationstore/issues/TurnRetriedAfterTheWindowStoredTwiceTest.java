package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.AppendConflictException;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 20, item 6: a completed turn retried by its id after more than 2,048 later appends was not
 * recognized (the dedup window had forgotten its append id): its messages were stored twice. An
 * append that asks for it ({@code dedupBeyondWindow}) is now recognized however many appends came
 * since, its batch found by id in the head or the archive.
 */
class TurnRetriedAfterTheWindowStoredTwiceTest {
    private static final int LATER_APPENDS = 2_100;

    static Stream<Named<Supplier<ConversationStore>>> stores() {
        return BothStores.both();
    }

    @ParameterizedTest
    @MethodSource("stores")
    void appendDedupedBeyondTheWindow_repeatedAfter2100Appends_isADuplicateWithItsSequence(
            Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            store.appendMessages("s", "en", java.util.List.of(Message.user("before")));
            AppendRequest first = AppendRequest.builder("s", "en").appendId("turn-7").dedupBeyondWindow(true)
                    .messages(Message.user("q"), Message.assistant("a")).build();
            assertThat(store.appendMessages(first).duplicate()).isFalse();
            for (int i = 0; i < LATER_APPENDS; i++) {
                store.appendMessages(AppendRequest.builder("s", "en").appendId("later-" + i)
                        .messages(Message.user("m" + i)).build());
            }

            AppendResult again = store.appendMessages(first);

            assertThat(again.duplicate()).isTrue();
            assertThat(again.firstSequence()).isEqualTo(1);
            assertThat(again.messageCount()).isEqualTo(2);
            assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s", "en").appendId("turn-7")
                    .dedupBeyondWindow(true).messages(Message.user("q"), Message.assistant("another answer")).build()))
                    .isInstanceOf(AppendConflictException.class);
            assertThat(store.findConversation("s").orElseThrow().messageCount()).isEqualTo(3 + LATER_APPENDS);
        }
    }
}
