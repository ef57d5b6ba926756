package io.github.conversationstore.springai;

import com.mongodb.MongoException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.MongoDatabase;
import io.github.conversationstore.ConversationStoreUnavailableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.bson.Document;

/**
 * The conversation ids of a {@code MongoConversationStore}: the {@code sessionId} of each head
 * document, in the order of the unique {@code sessionId} index, read in batches with only that
 * field and the message count (a head created by a lease alone holds no conversation yet).
 */
final class MongoConversationIds implements Supplier<List<String>> {
    static final String SESSION_ID = "sessionId";
    static final String MESSAGE_COUNT = "messageCount";
    private static final int BATCH = 10_000;

    private final MongoCollection<Document> heads;

    MongoConversationIds(MongoDatabase database, String collection) {
        heads = Objects.requireNonNull(database, "database")
                .getCollection(Objects.requireNonNull(collection, "collection"));
    }

    @Override
    public List<String> get() {
        List<String> ids = new ArrayList<>();
        try (MongoCursor<Document> cursor = heads.find()
                .projection(new Document(SESSION_ID, 1).append(MESSAGE_COUNT, 1).append("_id", 0))
                .sort(new Document(SESSION_ID, 1))
                .batchSize(BATCH)
                .iterator()) {
            while (cursor.hasNext()) {
                Document head = cursor.next();
                Object count = head.get(MESSAGE_COUNT);
                if (head.get(SESSION_ID) instanceof String
                        && !(count instanceof Number && ((Number) count).longValue() == 0)) {
                    ids.add(head.getString(SESSION_ID));
                }
            }
        } catch (MongoException e) {
            throw new ConversationStoreUnavailableException("could not list the conversations of "
                    + heads.getNamespace() + ": " + e.getMessage(), e);
        }
        return ids;
    }
}
