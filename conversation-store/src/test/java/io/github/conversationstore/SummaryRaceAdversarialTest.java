package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.RawDocuments;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Review (issue 22/25): a summary write racing an erasure of its conversation. A hook on the
 * writer's client runs the erasure from another process exactly between the write's reads and its
 * insert, as a concurrent client on a real deployment could.
 */
class SummaryRaceAdversarialTest extends EmbeddedMongoTestBase {
    private static final String CANARY = "CANARY-RACED-SUMMARY-7e7e";

    private static String collection() {
        return "summaryRace" + System.nanoTime();
    }

    private static void appendPairs(ConversationStore store, String sessionId, Owner owner, int pairs) {
        for (int i = 0; i < pairs; i++) {
            AppendRequest.Builder request = AppendRequest.builder(sessionId, "en")
                    .messages(Message.user("question " + i), Message.assistant("answer " + i));
            store.appendMessages((owner == null ? request : request.owner(owner)).build());
        }
    }

    /**
     * The summary is written after the erasure ran: it must not outlive the erasure in any raw
     * document (erasure is final), and the writer must learn that the session is gone.
     */
    @Test
    void writeSummary_racingDeleteConversation_leavesNoSummaryBehind() {
        try (Stores two = new Stores(0)) {
            String collection = two.collection;
            String database = two.database;
            CommandHooks hooks = two.hooks;
            MongoConversationStore writer = two.hooked;
            MongoConversationStore other = two.other;
            appendPairs(writer, "s", null, 3);
            AtomicBoolean deleted = new AtomicBoolean();
            // after the write read the head and the newest summary, before its insert
            hooks.afterSuccess(CommandHooks.command("find", collection + "_summaries"), () -> {
                other.deleteConversation("s");
                deleted.set(true);
            });

            Throwable thrown = catchThrowable(() -> writer.writeSummary("s", Summary.of(0, 6, CANARY, 5)));

            assertThat(deleted).isTrue();
            assertThat(RawDocuments.containing(client.getDatabase(database), List.of(CANARY)))
                    .as("the summary of the deleted life, in clear after deleteConversation returned").isEmpty();
            assertThat(thrown).as("the writer is told the session was deleted").isInstanceOf(NoSuchElementException.class);
            // a new life starts with no summary
            appendPairs(other, "s", null, 1);
            assertThat(writer.summaries("s")).isEmpty();
            assertThat(other.summaries("s")).isEmpty();
        }
    }

    @Test
    void writeSummary_racingEraseOwner_leavesNoSummaryBehind() {
        Owner owner = Owner.of("app", "carol");
        try (Stores two = new Stores(0)) {
            String collection = two.collection;
            String database = two.database;
            CommandHooks hooks = two.hooks;
            MongoConversationStore writer = two.hooked;
            MongoConversationStore other = two.other;
            appendPairs(writer, "s", owner, 3);
            appendPairs(writer, "kept", Owner.of("app", "dave"), 1);
            AtomicBoolean erased = new AtomicBoolean();
            hooks.afterSuccess(CommandHooks.command("find", collection + "_summaries"), () -> {
                assertThat(other.eraseOwner(owner).conversations()).isEqualTo(1);
                erased.set(true);
            });

            Throwable thrown = catchThrowable(() -> writer.writeSummary("s", Summary.of(0, 6, CANARY, 5)));

            assertThat(erased).isTrue();
            assertThat(RawDocuments.containing(client.getDatabase(database), List.of(CANARY)))
                    .as("the erased owner's summary, in clear after eraseOwner returned").isEmpty();
            assertThat(thrown).isInstanceOf(NoSuchElementException.class);
        }
    }

    /** What the hook would hide: the plain write still stores and returns the summary. */
    @Test
    void writeSummary_withoutARace_isStoredInClear_soTheScanCanSeeIt() {
        String collection = collection();
        String database = "review_" + collection;
        try (MongoConversationStore store = MongoConversationStore.builder().client(client).database(database)
                .collection(collection).build()) {
            appendPairs(store, "s", null, 3);
            store.writeSummary("s", Summary.of(0, 6, CANARY, 5));
            assertThat(RawDocuments.containing(client.getDatabase(database), List.of(CANARY))).containsExactly(CANARY);
            store.deleteConversation("s");
            assertThat(RawDocuments.containing(client.getDatabase(database), List.of(CANARY))).isEmpty();
        }
    }


    /**
     * Held: appends that move the range's messages to the archive land between the write's head
     * read and its edge read (the range's last message and the one after it): the write still
     * sees the right edge, refusing a range that ends inside a tool exchange and storing one that
     * does not.
     */
    @Test
    void writeSummary_racingAppendsThatMoveItsMessagesToTheArchive_seesTheRightEdge() {
        try (Stores two = new Stores(4)) {
            String collection = two.collection;
            String database = two.database;
            CommandHooks hooks = two.hooks;
            MongoConversationStore writer = two.hooked;
            MongoConversationStore other = two.other;
            writer.appendMessages("s", "en", List.of(Message.user("weather?")));
            writer.appendMessages("s", "en", List.of(
                    Message.of(Role.ASSISTANT, new Part.ToolCall("c1", "weather", "{}")),
                    Message.tool(Part.ToolResult.text("c1", "weather", "sunny"))));
            writer.appendMessages("s", "en", List.of(Message.assistant("It is sunny.")));
            Runnable moves = () -> {
                for (int i = 0; i < 12; i++) {
                    other.appendMessages("s", "en", List.of(Message.user("later " + i)));
                }
            };
            hooks.afterSuccess(CommandHooks.command("find", collection + "_summaries"), moves);
            Throwable split = catchThrowable(() -> writer.writeSummary("s", Summary.of(0, 2, "splits", 1)));
            assertThat(split).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tool exchange");
            assertThat(client.getDatabase(database).getCollection(collection + "_archive")
                    .countDocuments(new org.bson.Document("sessionId", "s"))).as("moved to the archive").isPositive();

            hooks.afterSuccess(CommandHooks.command("find", collection + "_summaries"), moves);
            assertThat(writer.writeSummary("s", Summary.of(0, 3, "whole", 1)).toSequence()).isEqualTo(3);
            assertThat(other.summaries("s")).extracting(s -> s.message().text()).containsExactly("whole");
            assertThat(other.readMessages("s", 0, 100)).hasSize(28);
        }
    }

    /**
     * A window reads the summaries, then the tail: the conversation is deleted and begun again in
     * between (another process). The window must not give the new life's messages the erased
     * life's summary, which would be sent to the model.
     */
    @Test
    void contextWindow_racingADeleteAndANewLife_neverShowsTheErasedLifesSummary() {
        try (Stores two = new Stores(0)) {
            String collection = two.collection;
            String database = two.database;
            CommandHooks hooks = two.hooks;
            MongoConversationStore reader = two.hooked;
            MongoConversationStore other = two.other;
            appendPairs(reader, "s", null, 5);
            reader.writeSummary("s", Summary.of(0, 8, CANARY, 5));
            hooks.afterSuccess(CommandHooks.command("find", collection + "_summaries"), () -> {
                other.deleteConversation("s");
                for (int i = 0; i < 12; i++) {
                    other.appendMessages("s", "en", List.of(Message.user("new life " + i)));
                }
            });

            ContextWindow window = reader.contextWindow("s", 10_000);

            assertThat(window.summary()).as("the window of %s", window.storedMessages().stream()
                    .map(StoredMessage::text).toList()).isEmpty();
            assertThat(window.storedMessages()).extracting(StoredMessage::text).allMatch(t -> t.startsWith("new life"));
        }
    }

    /** A store whose commands the hooks see, and another process's store, over one new collection. */
    private final class Stores implements AutoCloseable {
        final String collection = collection();
        final String database = "review_" + collection;
        final CommandHooks hooks = new CommandHooks();
        final MongoClient client = hooks.client(server.connectionString());
        final MongoConversationStore hooked;
        final MongoConversationStore other;

        /** @param maxHeadMessages the heads' message bound, or 0 for the default */
        Stores(int maxHeadMessages) {
            MongoConversationStore.Builder mine = MongoConversationStore.builder().client(client).database(database)
                    .collection(collection);
            MongoConversationStore.Builder theirs = MongoConversationStore.builder()
                    .client(EmbeddedMongoTestBase.client).database(database).collection(collection)
                    .createIndexes(false);
            if (maxHeadMessages > 0) {
                mine.maxHeadMessages(maxHeadMessages);
                theirs.maxHeadMessages(maxHeadMessages);
            }
            hooked = mine.build();
            other = theirs.build();
        }

        @Override
        public void close() {
            other.close();
            hooked.close();
            client.close();
        }
    }
}
