package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Review: a {@code dedupBeyondWindow(true)} repeat looks the append id up in the archive first, then
 * sends the fast-path update whose filter only checks the head's own messages. A move that carries
 * the id's messages from the head to the archive between those two commands makes both checks miss:
 * the repeat is applied a second time.
 */
class DedupBeyondWindowRepeatStoredTwiceAfterAMoveTest extends EmbeddedMongoTestBase {

    @Test
    void repeatBeyondTheWindow_whileAMoveCarriesTheOriginalToTheArchive_isADuplicate() {
        String collection = "dedupMove" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        try (MongoClient hooked = hooks.client(server.connectionString());
                MongoConversationStore store = MongoConversationStore.builder().client(hooked).database("review")
                        .collection(collection).appendIdWindow(64).maxHeadMessages(256).build();
                MongoConversationStore other = MongoConversationStore.builder().client(client).database("review")
                        .collection(collection).appendIdWindow(64).maxHeadMessages(256).createIndexes(false).build()) {
            AppendRequest original = AppendRequest.builder("s", "en").appendId("turn-1")
                    .messages(Message.user("hello")).dedupBeyondWindow(true).build();
            store.appendMessages(original);
            for (int i = 0; i < 70; i++) { // the id leaves the window; the head (bound 256) still holds it
                store.appendMessages("s", "en", List.of(Message.assistant("filler " + i)));
            }
            // after the repeat's archive lookup (nothing there yet), before its update: another
            // process's append crosses the head bound and its move archives the oldest messages
            hooks.afterSuccess(CommandHooks.command("find", collection + "_archive"), () -> {
                List<Message> batch = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    batch.add(Message.assistant("other " + i));
                }
                other.appendMessages("s", "en", batch);
            });

            AppendResult repeat = store.appendMessages(original);

            List<String> texts = new ArrayList<>();
            long from = 0;
            List<StoredMessage> page;
            while (!(page = store.readMessages("s", from, 1000)).isEmpty()) {
                page.forEach(m -> texts.add(m.text()));
                from += page.size();
            }
            assertThat(texts.stream().filter("hello"::equals).collect(Collectors.toList()))
                    .as("copies of the repeated message").hasSize(1);
            assertThat(repeat.duplicate()).as("the repeat is reported a duplicate").isTrue();
            assertThat(repeat.firstSequence()).isZero();
        }
    }
}
