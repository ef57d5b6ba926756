package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.RawDocuments;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.bson.Document;

/**
 * What the adversarial fork tests share: one embedded server, stores on it (8-message heads, so
 * that parents have archive chunks and head messages), appends of numbered texts, whole reads and
 * scans of the raw documents.
 */
abstract class ForkAdversarialBase extends EmbeddedMongoTestBase {

    static MongoConversationStore.Builder builder(MongoClient on, String database) {
        return MongoConversationStore.builder().client(on).database(database).collection("conversations")
                .maxHeadMessages(8).maxHeadBytes(64 * 1024);
    }

    static String db(String name) {
        return name + "_" + System.nanoTime();
    }

    /** Appends {@code count} messages "{prefix} i" (user, assistant, ...), one per append. */
    static List<String> append(ConversationStore store, String sessionId, String prefix, int count) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String text = prefix + " " + i;
            store.appendMessages(sessionId, "en", List.of(i % 2 == 0 ? Message.user(text) : Message.assistant(text)));
            texts.add(text);
        }
        return texts;
    }

    /** The session's texts, read in pages of 3 (so that every read crosses segment boundaries), checked dense. */
    static List<String> texts(ConversationStore store, String sessionId) {
        List<String> out = new ArrayList<>();
        long next = 0;
        while (true) {
            List<StoredMessage> page = store.readMessages(sessionId, next, 3);
            for (StoredMessage m : page) {
                assertThat(m.sequence()).as("dense and ordered in %s", sessionId).isEqualTo(next);
                out.add(m.text());
                next++;
            }
            if (page.size() < 3) {
                return out;
            }
        }
    }

    /** Which of {@code texts} any raw document of the database holds. */
    static Set<String> stored(MongoDatabase database, Collection<String> texts) {
        return RawDocuments.containing(database, texts);
    }

    /** How many references ({@code <heads>_forks}) name {@code child}. */
    static long references(MongoDatabase database, String child) {
        return database.getCollection("conversations_forks").countDocuments(new Document("child", child));
    }
}
