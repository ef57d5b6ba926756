package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.CREATED_AT;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.HEAD_BYTES;
import static io.github.conversationstore.HeadDocument.HEAD_SEQ;
import static io.github.conversationstore.HeadDocument.LANGUAGE;
import static io.github.conversationstore.HeadDocument.LEASE;
import static io.github.conversationstore.HeadDocument.LEASE_EXPIRES_AT;
import static io.github.conversationstore.HeadDocument.LEASE_HOLDER;
import static io.github.conversationstore.HeadDocument.LEASE_TURN_KEY;
import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.MESSAGE_COUNT;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.UPDATED_AT;

import com.mongodb.client.model.Projections;
import com.mongodb.client.model.UpdateOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * Per-session leases kept in the head document: {@code lease: {holder, expiresAt}}. Expiry is
 * judged by the server's time ({@link ServerClock}), so JVMs whose clocks disagree agree on it.
 * Holding the lease is also a fencing token: a fenced append matches only while its holder is the
 * lease's holder (see {@link MongoAppender}).
 */
final class MongoLeases {
    private final MongoContext ctx;

    MongoLeases(MongoContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Takes the lease if it is free, expired, {@code holder}'s, or held under the same non-null
     * {@code turnKey} (a takeover: the previous holder is fenced out by the same update).
     */
    boolean tryAcquire(String sessionId, String language, String holder, String turnKey, Duration duration) {
        return ctx.call("lease", sessionId, "take the lease of session '" + sessionId + "'", deadline -> {
            for (int attempt = 1; attempt <= ctx.maxAttempts; attempt++) {
                Instant now = ctx.time.now();
                List<Document> takeable = new ArrayList<>(List.of(
                        new Document(LEASE, null),
                        new Document(LEASE + "." + LEASE_EXPIRES_AT, new Document("$lte", Date.from(now))),
                        new Document(LEASE + "." + LEASE_HOLDER, holder)));
                if (turnKey != null) {
                    takeable.add(new Document(LEASE + "." + LEASE_TURN_KEY, turnKey));
                }
                Document filter = new Document(SESSION_ID, sessionId).append("$or", takeable);
                Document lease = new Document(LEASE_HOLDER, holder).append(LEASE_EXPIRES_AT, Date.from(now.plus(duration)));
                if (turnKey != null) {
                    lease.append(LEASE_TURN_KEY, turnKey);
                }
                Document update = new Document("$set", new Document(LEASE, lease))
                        .append("$setOnInsert", new Document(LANGUAGE, language)
                                .append(CREATED_AT, Date.from(now))
                                .append(UPDATED_AT, Date.from(now))
                                .append(HEAD_SEQ, 0L)
                                .append(MESSAGE_COUNT, 0L)
                                .append(HEAD_BYTES, 0L)
                                .append(GENERATION, new ObjectId())
                                .append(MESSAGES, List.of()));
                try {
                    deadline.heads().updateOne(filter, update, new UpdateOptions().upsert(true));
                    return true;
                } catch (RuntimeException e) {
                    if (MongoFailure.of(e) != MongoFailure.DUPLICATE_KEY) {
                        throw e;
                    }
                    Document head = deadline.heads().find(new Document(SESSION_ID, sessionId))
                            .projection(Projections.include(LEASE)).first();
                    Document held = head == null ? null : head.get(LEASE, Document.class);
                    if (held != null && !holder.equals(held.getString(LEASE_HOLDER))
                            && (turnKey == null || !turnKey.equals(held.getString(LEASE_TURN_KEY)))
                            && held.getDate(LEASE_EXPIRES_AT).toInstant().isAfter(ctx.time.now())) {
                        return false;
                    }
                    ctx.backOff(attempt, false, deadline); // created or released meanwhile: try again
                }
            }
            return false;
        });
    }

    boolean renew(String sessionId, String holder, Duration duration) {
        return ctx.call("lease", sessionId, "renew the lease of session '" + sessionId + "'", deadline -> deadline.heads().updateOne(
                new Document(SESSION_ID, sessionId).append(LEASE + "." + LEASE_HOLDER, holder),
                new Document("$set", new Document(LEASE + "." + LEASE_EXPIRES_AT,
                        Date.from(ctx.time.now().plus(duration))))).getMatchedCount() == 1);
    }

    void release(String sessionId, String holder) {
        ctx.call("lease", sessionId, "release the lease of session '" + sessionId + "'", deadline -> deadline.heads().updateOne(
                new Document(SESSION_ID, sessionId).append(LEASE + "." + LEASE_HOLDER, holder),
                new Document("$unset", new Document(LEASE, ""))));
    }
}
