package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.ERASED_AT;
import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.MESSAGE_COUNT;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.longField;
import static io.github.conversationstore.MongoForks.CHILD;
import static io.github.conversationstore.MongoForks.DIRECT;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * Lists the session ids of the Mongo store in order, for {@link MongoConversationStore#listConversationIds}.
 *
 * <p>One range read of the heads in {@code sessionId} order, fetched in batches of at most
 * {@value #BATCH} documents. On a sharded cluster mongos sends it to every shard owning sessions
 * after {@code afterSessionId} and merges their answers in order, asking a shard for its next batch
 * only when the merge needs it: a page of {@code limit} ids costs at most {@code limit} plus one
 * batch per shard of documents read, not {@code limit} per shard.
 *
 * <p>Also lists the forks of a session (since 0.3), from its references in {@code <heads>_forks}
 * (see {@link MongoForks}), which share the parent's shard key.
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

    /**
     * The headers of the live direct forks of {@code parentId}, after {@code after}: two queries,
     * repeated after the last child seen while the page is not full and references remain (a
     * reference can name no live fork: a fork call that died before its head, a deletion
     * interrupted before its release, a head removed by retention; until the sweep drops it), so
     * that a page shorter than {@code limit} means the end.
     */
    List<ConversationHeader> forksOf(String parentId, String after, int limit) {
        return ctx.call("forks", parentId, "list the forks of session '" + parentId + "'", d -> {
            List<ConversationHeader> out = new ArrayList<>();
            String cursor = after;
            while (out.size() < limit) {
                int wanted = limit - out.size();
                Document filter = new Document(SESSION_ID, parentId).append(DIRECT, true);
                if (cursor != null) {
                    filter.append(CHILD, new Document("$gt", cursor));
                }
                List<String> children = new ArrayList<>();
                int references = 0;
                // a page of references, by child; a child of several of the parent's lives is listed once
                for (Document r : d.forks().find(filter).projection(Projections.include(CHILD))
                        .sort(Sorts.ascending(SESSION_ID, CHILD)).limit(wanted).batchSize(Math.min(wanted, BATCH))) {
                    references++;
                    String child = r.getString(CHILD);
                    if (!children.contains(child)) {
                        children.add(child);
                    }
                }
                if (children.isEmpty()) {
                    break;
                }
                Map<String, ConversationHeader> byId = new HashMap<>();
                d.heads().find(new Document(SESSION_ID, new Document("$in", children)))
                        .projection(Projections.exclude(MESSAGES, HeadDocument.APPEND_KEYS, HeadDocument.APPEND_KEY_BLOCKS))
                        .forEach(h -> {
                            ForkOrigin origin = HeadDocument.forkOrigin(h);
                            if (h.get(ERASED_AT) == null && origin != null && origin.sessionId().equals(parentId)) {
                                byId.put(h.getString(SESSION_ID), HeadDocument.header(h, longField(h, MESSAGE_COUNT), ctx.keys));
                            }
                        });
                for (String child : children) {
                    if (byId.containsKey(child)) {
                        out.add(byId.get(child));
                    }
                }
                if (references < wanted) {
                    break; // no reference left after these
                }
                cursor = children.get(children.size() - 1);
            }
            return List.copyOf(out);
        });
    }
}
