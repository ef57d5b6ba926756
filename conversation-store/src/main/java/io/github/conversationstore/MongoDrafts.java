package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.SESSION_ID;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.connection.ClusterType;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.bson.Document;

/**
 * The drafts of the Mongo store, in {@code <heads>_drafts}, one document per turn:
 *
 * <pre>
 * { _id: {s: sessionId, t: turnId}, sessionId, holder, attempt, content: {message as stored},
 *   stop, reply, updatedAt }
 * </pre>
 *
 * <p>Every command names {@code sessionId} by equality (the shard key). A write is one
 * {@code findOneAndUpdate} filtered on the writer's holder and attempt and on the turn not having
 * ended, so a writer that another process took over (or that comes after the end) changes nothing
 * and learns it from the empty answer; the answer also carries the stop flag. The text is a message
 * document sealed with the conversation's data key when the store encrypts. The end marker keeps
 * the reply's sequence and drops the text; a TTL index on {@code updatedAt} removes markers and
 * abandoned drafts after a day.
 */
final class MongoDrafts implements DraftStore {
    static final String SUFFIX = "_drafts";
    static final String UPDATED_AT = "updatedAt";

    /** How long a change stream's {@code getMore} waits on the server for a change. */
    private static final long WATCH_WAIT_MILLIS = 250;

    private final MongoContext ctx;
    /** False once the server refused a change stream (it offers none): followers poll. */
    private volatile boolean changeStreams = true;

    MongoDrafts(MongoContext ctx) {
        this.ctx = ctx;
    }

    private static Document id(String sessionId, String turnId) {
        return new Document("_id", new Document("s", sessionId).append("t", turnId)).append(SESSION_ID, sessionId);
    }

    @Override
    public Draft start(String sessionId, String turnId, String holder) {
        // the draft as it was: its holder says whether a stop asked for is this run's
        Document before = ctx.call("draft", sessionId, "start the draft of turn " + turnId, deadline -> deadline.drafts()
                .findOneAndUpdate(id(sessionId, turnId), new Document("$inc", new Document("attempt", 1))
                        .append("$set", new Document("holder", holder).append("content", null).append("reply", -1L)
                                .append(UPDATED_AT, Date.from(ctx.time.now())))
                        .append("$setOnInsert", new Document("stop", false)),
                        new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.BEFORE)
                                .projection(new Document("holder", 1).append("attempt", 1).append("stop", 1))));
        if (before == null) {
            return new Draft(turnId, 1, "", false, -1);
        }
        Number was = (Number) before.get("attempt");
        int attempt = (was == null ? 0 : was.intValue()) + 1;
        boolean stop = Boolean.TRUE.equals(before.getBoolean("stop"));
        if (stop && !holder.equals(before.getString("holder"))) {
            // an earlier run's stop: this run starts unstopped
            ctx.call("draft", sessionId, "start the draft of turn " + turnId, deadline -> deadline.drafts().updateOne(
                    id(sessionId, turnId).append("holder", holder).append("attempt", attempt),
                    new Document("$set", new Document("stop", false))));
            stop = false;
        }
        return new Draft(turnId, attempt, "", stop, -1);
    }

    @Override
    public Draft.Write write(String sessionId, String turnId, String holder, int attempt, String text) {
        String what = "write the draft of turn " + turnId;
        Document content = seal(sessionId, turnId, text, what);
        Document doc = ctx.call("draft", sessionId, what, deadline -> deadline.drafts().findOneAndUpdate(
                id(sessionId, turnId).append("holder", holder).append("attempt", attempt).append("reply", -1L),
                new Document("$set", new Document("content", content).append(UPDATED_AT, Date.from(ctx.time.now()))),
                new FindOneAndUpdateOptions().projection(new Document("stop", 1)).returnDocument(ReturnDocument.AFTER)));
        if (doc == null) {
            return Draft.Write.TAKEN_OVER;
        }
        return Boolean.TRUE.equals(doc.getBoolean("stop")) ? Draft.Write.STOP_REQUESTED : Draft.Write.WRITTEN;
    }

    @Override
    public Optional<Draft> read(String sessionId, String turnId) {
        Document doc = ctx.call("draft", sessionId, "read the draft of turn " + turnId,
                deadline -> deadline.drafts().find(id(sessionId, turnId)).first());
        return doc == null ? Optional.empty() : Optional.of(decode(sessionId, doc));
    }

    @Override
    public void end(String sessionId, String turnId, long replySequence) {
        ctx.call("draft", sessionId, "end the draft of turn " + turnId, deadline -> deadline.drafts().updateOne(
                id(sessionId, turnId), new Document("$set", new Document("content", null).append("reply", replySequence)
                        .append(UPDATED_AT, Date.from(ctx.time.now())))));
    }

    @Override
    public boolean stop(String sessionId, String turnId) {
        return ctx.call("draft", sessionId, "stop turn " + turnId, deadline -> deadline.drafts().updateOne(
                id(sessionId, turnId).append("reply", -1L), new Document("$set", new Document("stop", true))))
                .getMatchedCount() > 0;
    }

    @Override
    public void stopOthers(String sessionId, String turnId, Duration recent) {
        ctx.call("draft", sessionId, "stop the other turns of the session", deadline -> deadline.drafts().updateMany(
                new Document(SESSION_ID, sessionId).append("_id.t", new Document("$ne", turnId)).append("reply", -1L)
                        .append(UPDATED_AT, new Document("$gte", Date.from(ctx.time.now().minus(recent)))),
                new Document("$set", new Document("stop", true))));
    }

    /**
     * On a replica set, a change stream on the turn's draft document, so that a follower wakes
     * when it is written: one {@code aggregate} with {@code $changeStream}, then {@code getMore}s
     * that each wait up to 250 ms on the server. Elsewhere (a standalone, a sharded cluster, the
     * embedded test server) followers poll; a server that refuses change streams is not asked
     * again, and a stream that fails later turns into plain waits. A follower reads the draft again after every wake, so a change stream
     * only makes it sooner, never different.
     */
    @Override
    public Changes changes(String sessionId, String turnId) {
        // only on a replica set: through mongos a change stream is opened on every shard, a
        // fan-out no path a user waits for makes (docs/SHARDING.md); a standalone has none
        if (!changeStreams || ctx.client.getClusterDescription().getType() != ClusterType.REPLICA_SET) {
            return Changes.WAIT;
        }
        try {
            MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = ctx.draftsToWatch()
                    .watch(List.of(Aggregates.match(Filters.eq("documentKey._id",
                            new Document("s", sessionId).append("t", turnId)))))
                    .maxAwaitTime(WATCH_WAIT_MILLIS, TimeUnit.MILLISECONDS).cursor();
            return new Watch(cursor);
        } catch (MongoCommandException e) {
            changeStreams = false; // not offered by this server (a standalone): poll
            return Changes.WAIT;
        } catch (MongoException e) {
            return Changes.WAIT; // this time; the next follower tries again
        }
    }

    /** A follower's change stream; past a failure, plain waits. */
    private static final class Watch implements Changes {
        private final MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor;
        private boolean failed;

        Watch(MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor) {
            this.cursor = cursor;
        }

        @Override
        public boolean live() {
            return !failed;
        }

        @Override
        public void await(long nanos) {
            if (failed) {
                LockSupport.parkNanos(nanos);
                return;
            }
            try {
                cursor.tryNext(); // returns at a change, or after the server's wait of 250 ms
            } catch (MongoException e) {
                failed = true;
            }
        }

        @Override
        public void close() {
            try {
                cursor.close();
            } catch (MongoException e) {
                // the server forgets the cursor on its own
            }
        }
    }

    /** The text as a message document, sealed with the conversation's key when the head has one. */
    private Document seal(String sessionId, String turnId, String text, String what) {
        Document plain = ctx.codec.encode(new Message(StepIds.reply(turnId), Role.ASSISTANT, List.of(Part.text(text)),
                ctx.time.now(), Map.of(), Map.of()));
        if (!ctx.keys.enabled()) {
            return plain;
        }
        MongoContext.Deadline deadline = ctx.deadline("draft", sessionId, what);
        return ctx.keys.seal(sessionId, List.of(plain), deadline).documents().get(0);
    }

    private Draft decode(String sessionId, Document doc) {
        String text = "";
        Document content = doc.get("content", Document.class);
        if (content != null) {
            Document open = ctx.keys.open(sessionId, content, ctx.deadline("draft", sessionId, "open a draft"));
            text = open == null ? "" : MessageCodec.decode(open).text();
        }
        Number attempt = (Number) doc.get("attempt");
        Number reply = (Number) doc.get("reply");
        return new Draft(doc.get("_id", Document.class).getString("t"), attempt == null ? 1 : attempt.intValue(), text,
                Boolean.TRUE.equals(doc.getBoolean("stop")), reply == null ? -1 : reply.longValue());
    }
}
