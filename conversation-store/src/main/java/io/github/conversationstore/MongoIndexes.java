package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.END_SEQ;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.UPDATED_AT;

import com.mongodb.MongoCommandException;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.bson.Document;

/** The indexes of the Mongo store, created when the store is built (unless turned off). */
final class MongoIndexes {
    /** The server's codes for an index that exists under another name or with other options. */
    private static final int INDEX_OPTIONS_CONFLICT = 85;
    private static final int INDEX_KEY_SPECS_CONFLICT = 86;

    private MongoIndexes() {}

    /**
     * Creates the unique head index, the archive's read and dedup indexes, and (with retention) the
     * TTL index on {@code updatedAt}, changing its expiry in place when it exists with another.
     */
    static void create(MongoContext ctx, Duration expireAfterInactivity) {
        MongoContext.Deadline overall = ctx.deadline("create indexes", null, "create the indexes");
        ctx.call(overall, deadline -> deadline.heads().createIndex(
                Indexes.ascending(SESSION_ID), new IndexOptions().unique(true).name(SESSION_ID + "_1")));
        ctx.call(overall, deadline -> deadline.archive().createIndex(
                Indexes.ascending(SESSION_ID, GENERATION, END_SEQ),
                new IndexOptions().name(SESSION_ID + "_1_" + GENERATION + "_1_" + END_SEQ + "_1")));
        // a life's summaries by range (the shard key, sessionId, first)
        ctx.call(overall, deadline -> deadline.summaries().createIndex(
                Indexes.ascending(SESSION_ID, GENERATION, MongoSummaries.TO),
                new IndexOptions().name(SESSION_ID + "_1_" + GENERATION + "_1_" + MongoSummaries.TO + "_1")));
        // forks: a session's forks by child (listing), a life's references by how far they read
        ctx.call(overall, deadline -> deadline.forks().createIndex(
                Indexes.ascending(SESSION_ID, MongoForks.CHILD),
                new IndexOptions().name(SESSION_ID + "_1_" + MongoForks.CHILD + "_1")));
        ctx.call(overall, deadline -> deadline.forks().createIndex(
                Indexes.ascending(SESSION_ID, GENERATION, MongoForks.TO),
                new IndexOptions().name(SESSION_ID + "_1_" + GENERATION + "_1_" + MongoForks.TO + "_1")));
        // drafts: end markers and abandoned drafts go after a day
        ctx.call(overall, deadline -> deadline.drafts().createIndex(Indexes.ascending(MongoDrafts.UPDATED_AT),
                new IndexOptions().name(MongoDrafts.UPDATED_AT + "_1").expireAfter(1L, TimeUnit.DAYS)));
        // finds an append id in the archive, for appends deduplicated beyond the window
        String appendIds = MESSAGES + "." + MessageCodec.APPEND_ID;
        ctx.call(overall, deadline -> deadline.archive().createIndex(Indexes.ascending(SESSION_ID, appendIds),
                new IndexOptions().name(SESSION_ID + "_1_" + appendIds + "_1")));
        // lists an owner's conversations, and the tombstones an interrupted eraseOwner left
        for (String field : new String[] {HeadDocument.OWNER, HeadDocument.ERASED_OWNER}) {
            ctx.call(overall, deadline -> deadline.heads().createIndex(Indexes.ascending(field, SESSION_ID),
                    new IndexOptions().name(field + "_1_" + SESSION_ID + "_1")
                            .partialFilterExpression(new Document(field, new Document("$exists", true)))));
        }
        if (expireAfterInactivity != null) {
            long seconds = expireAfterInactivity.getSeconds();
            ctx.call(overall, deadline -> {
                try {
                    return deadline.heads().createIndex(Indexes.ascending(UPDATED_AT),
                            new IndexOptions().name(UPDATED_AT + "_1").expireAfter(seconds, TimeUnit.SECONDS));
                } catch (MongoCommandException e) {
                    if (e.getErrorCode() != INDEX_OPTIONS_CONFLICT && e.getErrorCode() != INDEX_KEY_SPECS_CONFLICT) {
                        throw e;
                    }
                    // the index exists with another expiry: change it in place
                    deadline.database().runCommand(
                            new Document("collMod", deadline.heads().getNamespace().getCollectionName())
                                    .append("index", new Document("keyPattern", new Document(UPDATED_AT, 1))
                                            .append("expireAfterSeconds", seconds)));
                    return UPDATED_AT + "_1";
                }
            });
        }
    }
}
