package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import com.mongodb.client.MongoClient;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 15: a page read computes where its page starts in the head from counters it read
 * first; a move in between shortens the head, and on the embedded server a {@code $slice} whose
 * start passes the array's end fails (MongoDB returns nothing). The read must locate the page again.
 */
class PageReadRacingAMoveTest extends EmbeddedMongoTestBase {

    @Test
    void readMessages_whileAMoveShortensTheHead_returnsThePage() {
        String collection = "race" + System.nanoTime();
        CommandHooks hooks = new CommandHooks();
        try (MongoClient readerClient = hooks.client(server.connectionString());
                MongoConversationStore reader = MongoConversationStore.builder().client(readerClient).database("issues")
                        .collection(collection).maxHeadMessages(8).build();
                MongoConversationStore writer = MongoConversationStore.builder().client(client).database("issues")
                        .collection(collection).maxHeadMessages(8).build()) {
            for (int i = 0; i < 7; i++) {
                writer.appendMessages("s", "en", List.of(Message.user("m" + i)));
            }
            // right after the reader read the counters, appends cross the bound and a move trims the head
            hooks.afterSuccess(CommandHooks.command("find", collection), () -> {
                writer.appendMessages("s", "en", List.of(Message.user("m7"), Message.user("m8")));
            });

            List<StoredMessage> page = reader.readMessages("s", 6, 10);

            assertThat(page).extracting(StoredMessage::text).startsWith("m6", "m7", "m8");
            assertThat(page).extracting(StoredMessage::sequence).startsWith(6L, 7L, 8L);
        }
    }
}
