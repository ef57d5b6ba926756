package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.mongodb.client.MongoClient;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.ForwardingConversationStore;
import java.time.Duration;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Review (issue 22/25): the conversation is deleted and begun again by another process while a
 * compaction is between its check ("the range's last message is still the one summarized") and
 * its write (a pause: GC, a slow network). The summary of the erased life must not become the new
 * life's summary, which every later window would send to the model.
 */
class CompactionLifeAdversarialTest extends EmbeddedMongoTestBase {

    private static ConversationStore store(String kind) {
        return kind.equals("memory") ? InMemoryConversationStore.create()
                : MongoConversationStore.builder().client(client).database("review")
                        .collection("compactionLife" + System.nanoTime()).build();
    }

    private static Compaction policy(AtomicBoolean summarized) {
        return Compaction.builder().triggerTokens(100).keepTokens(40).summaryTokens(30)
                .tokenCounter(message -> 10)
                .summarizer(request -> {
                    summarized.set(true);
                    return Message.system("ERASED: " + request.messages().stream()
                            .map(StoredMessage::text).collect(Collectors.joining("; ")));
                })
                .build();
    }

    /**
     * On the Mongo store through the public API: the deletion and the new life land right after
     * the compaction's own check (its read of the range's last message), before the write.
     */
    @Test
    void mongo_deletedAndBegunAgain_afterTheCompactionsCheck_storesNoSummaryOfTheErasedLife() {
        String collection = "compactionLife" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        AtomicBoolean summarized = new AtomicBoolean();
        AtomicBoolean raced = new AtomicBoolean();
        try (MongoClient hooked = hooks.client(server.connectionString());
                MongoConversationStore store = MongoConversationStore.builder().client(hooked).database("review")
                        .collection(collection).build();
                MongoConversationStore other = MongoConversationStore.builder().client(client).database("review")
                        .collection(collection).createIndexes(false).build();
                TurnService service = TurnService.builder(store).provider(ScriptedReplyProvider.of(request -> Reply.of("ok")))
                        .compaction(policy(summarized)).replyTimeout(Duration.ofSeconds(5)).build()) {
            for (int i = 0; i < 12; i++) {
                store.appendMessages("s", "en", List.of(Message.user("ERASED secret " + i)));
            }
            // after the summarizer ran, the check of the range's last message reads the head twice (its
            // counters, then the slice holding the message): the race lands right after the second
            java.util.concurrent.atomic.AtomicInteger headReads = new java.util.concurrent.atomic.AtomicInteger();
            hooks.afterSuccess(c -> summarized.get() && CommandHooks.command("find", collection).test(c)
                    && headReads.incrementAndGet() == 2, () -> {
                other.deleteConversation("s");
                for (int i = 0; i < 20; i++) {
                    other.appendMessages("s", "en", List.of(Message.user("new life " + i)));
                }
                raced.set(true);
            });

            Throwable thrown = catchThrowable(() -> service.compact("s"));

            assertThat(raced).isTrue();
            assertThat(other.summaries("s")).as("the new life's summaries (compact gave %s)", String.valueOf(thrown))
                    .noneSatisfy(s -> assertThat(s.message().text()).contains("ERASED"));
            assertThat(other.contextWindow("s", 1000).summary()).as("the new life's window").isEmpty();
            assertThat(thrown).isInstanceOf(NoSuchElementException.class).hasMessageContaining("deleted (and begun again)");
        }
    }

    /** The in-memory store's condition, as the compaction calls it. */
    @Test
    void memory_summaryOfAnotherLifesMessages_isRefused_andWritesNothing() {
        try (InMemoryConversationStore store = InMemoryConversationStore.create()) {
            for (int i = 0; i < 4; i++) {
                store.appendMessages("s", "en", List.of(Message.user("message " + i)));
            }
            String lastId = store.readMessages("s", 2, 1).get(0).message().id();
            assertThatThrownBy(() -> store.writeSummary("s", Summary.of(0, 3, "of another life", 2), "another-id"))
                    .isInstanceOf(NoSuchElementException.class).hasMessageContaining("[0, 3)");
            assertThat(store.summaries("s")).isEmpty();
            assertThat(store.writeSummary("s", Summary.of(0, 3, "of this life", 2), lastId).message().text())
                    .isEqualTo("of this life");
            assertThat(store.summaries("s")).hasSize(1);
        }
    }

    /**
     * Through a store that is not one of the library's (a wrapper), compaction can only check and
     * then write with the public {@code writeSummary}, which has no condition on the life.
     */
    @Disabled("break (not fixed): through a ConversationStore that is not the library's own (a wrapper), compaction"
            + " checks the range's last message and then calls the public writeSummary, which has no condition on the"
            + " life: a deletion and a new life in between give the new life the erased one's summary. A fix needs a"
            + " public conditioned write (e.g. writeSummary(sessionId, summary, lastMessageId)) that wrappers forward")
    @ParameterizedTest
    @ValueSource(strings = {"memory", "mongo"})
    void deletedAndBegunAgain_betweenTheCheckAndTheWrite_storesNoSummaryOfTheErasedLife(String kind) {
        try (ConversationStore raw = store(kind)) {
            AtomicBoolean raced = new AtomicBoolean();
            ConversationStore racing = new ForwardingConversationStore(raw) {
                @Override
                public Summary writeSummary(String sessionId, Summary summary) {
                    if (raced.compareAndSet(false, true)) {
                        // another process: erase the conversation, then its user starts over
                        raw.deleteConversation(sessionId);
                        for (int i = 0; i < 20; i++) {
                            raw.appendMessages(sessionId, "en", List.of(Message.user("new life " + i)));
                        }
                    }
                    return raw.writeSummary(sessionId, summary);
                }

                @Override
                public List<Summary> summaries(String sessionId) {
                    return raw.summaries(sessionId);
                }
            };
            for (int i = 0; i < 12; i++) {
                raw.appendMessages("s", "en", List.of(Message.user("ERASED secret " + i)));
            }
            Compaction policy = policy(new AtomicBoolean());
            try (TurnService service = TurnService.builder(racing)
                    .provider(ScriptedReplyProvider.of(request -> Reply.of("ok"))).compaction(policy)
                    .replyTimeout(Duration.ofSeconds(5)).build()) {
                Throwable thrown = catchThrowable(() -> service.compact("s"));

                assertThat(raced).isTrue();
                assertThat(raw.summaries("s")).as("the new life's summaries (compact gave %s)", String.valueOf(thrown))
                        .noneSatisfy(s -> assertThat(s.message().text()).contains("ERASED"));
                assertThat(raw.contextWindow("s", 1000).summary()).as("the new life's window").isEmpty();
                assertThat(raw.readMessages("s", 0, 100)).extracting(StoredMessage::text).allMatch(t -> t.startsWith("new life"));
            }
        }
    }
}
