package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.SESSION_ID;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import java.util.ArrayList;
import java.util.List;
import org.bson.conversions.Bson;

/**
 * Lists the session ids of the Mongo store in order, for {@link MongoConversationStore#listConversationIds}.
 *
 * <p>One range read of the heads in {@code sessionId} order, fetched in batches of at most
 * {@value #BATCH} documents. On a sharded cluster mongos sends it to every shard owning sessions
 * after {@code afterSessionId} and merges their answers in order, asking a shard for its next batch
 * only when the merge needs it: a page of {@code limit} ids costs at most {@code limit} plus one
 * batch per shard of documents read, not {@code limit} per shard.
 */
final class MongoListing {
    /** The most heads a shard sends per batch of a listing. */
    static final int BATCH = 256;

    private final MongoContext ctx;

    MongoListing(MongoContext ctx) {
        this.ctx = ctx;
    }

    /** A page of ids; {@code limit} was checked by the store's gate. */
    List<String> list(String afterSessionId, int limit) {
        Bson filter = Filters.or(Filters.gt(HeadDocument.MESSAGE_COUNT, 0), Filters.exists(MESSAGES + ".0"));
        if (afterSessionId != null) {
            filter = Filters.and(Filters.gt(SESSION_ID, afterSessionId), filter);
        }
        Bson query = filter;
        return ctx.call("list", null, "list conversations", deadline -> {
            List<String> ids = new ArrayList<>(Math.min(limit, 1024));
            deadline.heads().find(query)
                    .projection(Projections.fields(Projections.include(SESSION_ID), Projections.excludeId()))
                    .sort(Sorts.ascending(SESSION_ID))
                    .limit(limit)
                    .batchSize(Math.min(limit, BATCH))
                    .forEach(doc -> ids.add(doc.getString(SESSION_ID)));
            return List.copyOf(ids);
        });
    }
}
