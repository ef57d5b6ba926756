package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.APPEND_ID;
import static io.github.conversationstore.HeadDocument.APPEND_KEYS;
import static io.github.conversationstore.HeadDocument.ATTRIBUTES;
import static io.github.conversationstore.HeadDocument.CREATED_AT;
import static io.github.conversationstore.HeadDocument.ERASED_AT;
import static io.github.conversationstore.HeadDocument.ERASED_KEYS;
import static io.github.conversationstore.HeadDocument.ERASED_KEY_BLOCKS;
import static io.github.conversationstore.HeadDocument.FORK;
import static io.github.conversationstore.HeadDocument.APPEND_KEY_BLOCKS;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.HEAD_BYTES;
import static io.github.conversationstore.HeadDocument.HEAD_SEQ;
import static io.github.conversationstore.HeadDocument.LANGUAGE;
import static io.github.conversationstore.HeadDocument.LEASE;
import static io.github.conversationstore.HeadDocument.LEASE_EXPIRES_AT;
import static io.github.conversationstore.HeadDocument.LEASE_HOLDER;
import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.OWNER;
import static io.github.conversationstore.HeadDocument.MESSAGE_COUNT;
import static io.github.conversationstore.HeadDocument.RECENT_APPENDS;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.UPDATED_AT;
import static io.github.conversationstore.HeadDocument.adopted;
import static io.github.conversationstore.HeadDocument.longField;
import static io.github.conversationstore.HeadDocument.messages;

import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import io.github.conversationstore.MongoContext.Deadline;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;

/**
 * Appends of the Mongo store: the one-command fast path, and what follows a refused or failed one.
 *
 * <p>The fast path is one {@code findAndModify}: an upsert whose filter excludes heads that
 * already hold the append id's fingerprint (and heads too full to take the batch, and, for a fenced
 * append, heads whose lease another holder has), which pushes the messages, bumps the counters,
 * records the fingerprint and sets the header in one atomic document update, and returns only the
 * counters. A refused update (E11000 from the upsert, or no match for a fenced append) is explained
 * by reading the head on the primary: the append id was applied (find its messages, compare their
 * content, report a duplicate or a conflict: {@link MongoRepeats}), the head is the original backend's (adopt it), full
 * (move messages out), fenced by another holder (fail), or created by a concurrent writer (retry).
 */
final class MongoAppender {
    /** Room kept in a head for everything but its messages: header, fingerprints, lease. */
    static final int HEAD_OVERHEAD_BYTES = 256 * 1024;

    private final MongoContext ctx;
    private final MongoArchiveMover mover;
    private final MongoAdoption adoption;
    private final MongoRepeats repeats;
    private final FindOneAndUpdateOptions upsertBefore;
    private final FindOneAndUpdateOptions updateBefore;
    private final FindOneAndUpdateOptions upsertAfter;
    private final FindOneAndUpdateOptions updateAfter;

    MongoAppender(MongoContext ctx, MongoArchiveMover mover, MongoReader reader) {
        this.ctx = ctx;
        this.mover = mover;
        this.adoption = new MongoAdoption(ctx);
        this.repeats = new MongoRepeats(ctx, reader);
        Bson counters = Projections.fields(Projections.include(MESSAGE_COUNT, HEAD_SEQ, HEAD_BYTES), Projections.excludeId());
        // with other writers the array's length is the truth: return one tiny field per message
        Bson lengths = Projections.fields(Projections.include(HEAD_SEQ, HEAD_BYTES, MESSAGES + "." + MessageCodec.APPEND_ID),
                Projections.excludeId());
        this.upsertBefore = new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.BEFORE).projection(counters);
        this.updateBefore = new FindOneAndUpdateOptions().upsert(false).returnDocument(ReturnDocument.BEFORE).projection(counters);
        this.upsertAfter = new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER).projection(lengths);
        this.updateAfter = new FindOneAndUpdateOptions().upsert(false).returnDocument(ReturnDocument.AFTER).projection(lengths);
    }

    /** Appends; {@code attempts[0]} tells how many times the database was tried. */
    AppendResult append(AppendRequest request, int[] attempts) {
        Deadline deadline = ctx.deadline("append", request.sessionId(),
                "append " + request.appendId() + " to session '" + request.sessionId() + "'");
        MongoDataKeys.Sealed encoded = ctx.keys.seal(request.sessionId(),
                ctx.codec.encode(request.messages(), request.appendId()), deadline);
        long batchBytes = MessageCodec.estimateBytes(encoded.documents());
        long room = ctx.maxDocumentBytes - HEAD_OVERHEAD_BYTES - batchBytes;
        if (room < 0) {
            throw new ConversationTooLargeException("the batch of " + encoded.documents().size() + " messages for session '"
                    + request.sessionId() + "' takes about " + batchBytes + " bytes; a conversation document holds at most "
                    + (ctx.maxDocumentBytes - HEAD_OVERHEAD_BYTES) + " bytes of messages (maxDocumentBytes)", null);
        }
        Batch batch = new Batch(request, encoded, batchBytes, AppendKeys.key(request.appendId()), room);
        boolean outcomeUnknown = false;
        RuntimeException last = null;
        // transient failures (network, failover) and heads that vanish under the append are tried
        // maxAttempts times in all; races lost to writers that made progress (the head exists: it
        // was created, filled, moved or revived by another) are tried again until the deadline,
        // backing off longer with each, with jitter: under contention an append never starves
        int[] bounded = new int[1];
        int races = 0;
        for (int attempt = 1; bounded[0] < ctx.maxAttempts; attempt++) {
            attempts[0] = attempt;
            try {
                MongoRepeats.BeyondWindow seen = request.dedupBeyondWindow() ? MongoRepeats.lookUpBeyondWindow(request, deadline)
                        : MongoRepeats.BeyondWindow.NONE;
                if (!seen.archived()) {
                    Optional<AppendResult> done = attempt(batch, null, seen.headSeq(), deadline);
                    if (done.isPresent()) {
                        return done.get();
                    }
                }
                // a fenced append matched no head, or the append id may be in the archive: find out why
            } catch (RuntimeException e) {
                last = e;
                MongoFailure failure = MongoFailure.of(e);
                if (failure == MongoFailure.TRANSIENT && !(e instanceof ConversationStoreException)) {
                    outcomeUnknown = true;
                    if (++bounded[0] < ctx.maxAttempts) {
                        ctx.retrying(deadline, attempt, e);
                        ctx.backOff(bounded[0], true, deadline);
                    }
                    continue;
                }
                if (failure != MongoFailure.DUPLICATE_KEY) {
                    throw MongoContext.translate(deadline.what, e);
                }
                ctx.raceAbsorbed(deadline);
            }
            try {
                Optional<AppendResult> resolved = resolve(batch, outcomeUnknown, ++races, bounded, deadline);
                if (resolved.isPresent()) {
                    return resolved.get();
                }
            } catch (RuntimeException resolveFailure) {
                if (MongoFailure.of(resolveFailure) != MongoFailure.TRANSIENT
                        || resolveFailure instanceof ConversationStoreException) {
                    throw MongoContext.translate(deadline.what, resolveFailure);
                }
                last = resolveFailure;
                bounded[0]++;
                ctx.retrying(deadline, attempt, resolveFailure);
                ctx.backOff(bounded[0], true, deadline);
            }
        }
        MongoContext.gaveUp(deadline, attempts[0], last);
        String what = deadline.what + " failed after " + attempts[0] + " attempts";
        if (!outcomeUnknown && (last == null || MongoFailure.of(last) == MongoFailure.DUPLICATE_KEY)) {
            // nothing was written: every attempt was refused, and its head found gone
            throw new ConcurrentAppendException(what + ": the session kept being deleted under it; retry with the same append id", last);
        }
        throw new ConversationStoreUnavailableException(what + "; the outcome is unknown: retry with the same append id", last);
    }

    /** One append's fixed parts. */
    record Batch(AppendRequest request, MongoDataKeys.Sealed sealed, long bytes, int key, long room) {
        /** The messages as written: sealed with the conversation's data key when encryption is on. */
        List<Document> encoded() {
            return sealed.documents();
        }

        int size() {
            return encoded().size();
        }
    }

    /**
     * Tries the atomic update once. {@code guard}, when given, replaces the fingerprint check by an
     * exact state of the head (its generation, {@code headSeq} and array length) in which the append
     * id was proven absent. Empty means that no head matched (only possible when not upserting).
     */
    private Optional<AppendResult> attempt(Batch batch, Document guard, Object headSeqSeen, Deadline deadline) {
        AppendRequest request = batch.request();
        Document filter = new Document(SESSION_ID, request.sessionId());
        if (headSeqSeen != null) {
            filter.append(HEAD_SEQ, headSeqSeen);
        }
        if (guard == null) {
            AppendKeys.absentFrom(filter, batch.key());
            filter.append(RECENT_APPENDS + "." + APPEND_ID, new Document("$ne", request.appendId()));
            filter.append(ERASED_AT, new Document("$exists", false)); // a tombstone is revived by resolve()
            if (request.dedupBeyondWindow()) {
                // beyond the window, the head's own messages tell (the archive was looked up before)
                filter.append(MESSAGES + "." + MessageCodec.APPEND_ID, new Document("$ne", request.appendId()));
            }
        } else {
            filter.putAll(guard);
        }
        filter.append(HEAD_BYTES, new Document("$lte", batch.room()));
        if (request.isFenced()) {
            filter.append(LEASE + "." + LEASE_HOLDER, request.leaseHolder());
        }
        if (request.owner() != null) {
            // the owner is set by the first append naming one, and fixed from then on
            filter.append(OWNER, new Document("$in", Arrays.asList(HeadDocument.ownerDocument(request.owner()), null)));
        }
        if (request.requireExisting()) { // messages or a fork: a head holding only a lease is no conversation
            filter.append("$or", List.of(new Document(MESSAGE_COUNT, new Document("$gt", 0L)),
                    new Document(FORK, new Document("$exists", true)),
                    new Document(MESSAGES + ".0", new Document("$exists", true)), // pushed by other writers, uncounted
                    new Document(HEAD_SEQ, new Document("$gt", 0L))));
        }
        if (request.expectedSequence() != null) {
            expectNext(filter, request.expectedSequence());
        }
        MongoDataKeys.guard(filter, batch.sealed());
        // a head is created only where the expected sequence (if any) is a new session's
        boolean upsert = guard == null && !request.isFenced() && !request.requireExisting() && batch.sealed().mayCreate()
                && (request.expectedSequence() == null || request.expectedSequence() == 0);
        return apply(batch, filter, update(batch), upsert, deadline);
    }

    /**
     * Guards an update on the session's next sequence: the message count, or with other writers
     * (whose pushes do not count) the head's first sequence plus its array's length.
     */
    private void expectNext(Document filter, long next) {
        if (ctx.foreignWriters) {
            filter.append("$expr", new Document("$eq", Arrays.asList(
                    new Document("$add", Arrays.asList("$" + HEAD_SEQ, new Document("$size", "$" + MESSAGES))), next)));
        } else {
            filter.append(MESSAGE_COUNT, next);
        }
    }

    /** The session's next sequence in a head read by {@link #resolve}. */
    private long next(Document head) {
        return ctx.foreignWriters ? longField(head, HEAD_SEQ) + messages(head).size() : longField(head, MESSAGE_COUNT);
    }

    /**
     * Revives a tombstone (see {@link MongoErasure}) as a new conversation holding the batch, in one
     * update guarded on the tombstone just read: the new header, and a dedup window that starts with
     * the erased fingerprints, with a copy of them to tell them from the new conversation's own.
     */
    private Optional<AppendResult> revive(Batch batch, Document tombstone, Deadline deadline) {
        AppendRequest request = batch.request();
        Document filter = new Document(SESSION_ID, request.sessionId())
                .append(GENERATION, tombstone.get(GENERATION))
                .append(ERASED_AT, tombstone.get(ERASED_AT));
        if (request.isFenced()) {
            filter.append(LEASE + "." + LEASE_HOLDER, request.leaseHolder());
        }
        List<String> erased = AppendKeys.erasedBlocks(tombstone);
        // the newest blocks that hold the dedup window: older ones would pile up over delete-and-revive cycles
        int keep = ctx.limits.appendIdWindow() / AppendKeys.BLOCK + 1;
        if (erased.size() > keep) {
            erased = List.copyOf(erased.subList(erased.size() - keep, erased.size()));
        }
        Document update = update(batch);
        Document inserted = (Document) update.remove("$setOnInsert");
        update.get("$set", Document.class)
                .append(LANGUAGE, request.language())
                .append(CREATED_AT, inserted.get(CREATED_AT))
                .append(APPEND_KEY_BLOCKS, erased)
                .append(ERASED_KEY_BLOCKS, erased);
        MongoDataKeys.onRevive(update.get("$set", Document.class), batch.sealed());
        update.append("$unset", new Document(ERASED_AT, "").append(ERASED_KEYS, "").append(HeadDocument.ERASED_OWNER, ""));
        return apply(batch, filter, update, false, deadline);
    }

    /** Runs one append update; empty if it matched no head (only possible when not upserting). */
    private Optional<AppendResult> apply(Batch batch, Document filter, Document update, boolean upsert, Deadline deadline) {
        AppendRequest request = batch.request();
        FindOneAndUpdateOptions options = ctx.foreignWriters
                ? upsert ? upsertAfter : updateAfter
                : upsert ? upsertBefore : updateBefore;
        Document reply = deadline.heads().findOneAndUpdate(filter, update, options);
        int n = batch.size();
        long first;
        long lengthBefore;
        long bytesBefore;
        if (ctx.foreignWriters) {
            if (reply == null) {
                return Optional.empty();
            }
            long length = messages(reply).size();
            first = longField(reply, HEAD_SEQ) + length - n;
            lengthBefore = length - n;
            bytesBefore = longField(reply, HEAD_BYTES) - batch.bytes();
        } else if (reply == null) {
            if (!upsert) {
                return Optional.empty();
            }
            first = 0;
            lengthBefore = 0;
            bytesBefore = 0;
        } else {
            first = longField(reply, MESSAGE_COUNT);
            lengthBefore = first - longField(reply, HEAD_SEQ);
            bytesBefore = longField(reply, HEAD_BYTES);
        }
        if (MongoArchiveMover.crossed(lengthBefore, lengthBefore + n, ctx.maxHeadMessages)
                || MongoArchiveMover.crossed(bytesBefore, bytesBefore + batch.bytes(), ctx.maxHeadBytes)) {
            mover.moveQuietly(request.sessionId(), deadline);
        }
        return Optional.of(new AppendResult(request.appendId(), first, n, first == 0, false));
    }

    private Document update(Batch batch) {
        AppendRequest request = batch.request();
        Date now = Date.from(ctx.time.now());
        Document set = new Document(UPDATED_AT, now);
        request.headerAttributes().forEach((k, v) -> set.append(ATTRIBUTES + "." + k,
                MongoDataKeys.sealAttribute(batch.sealed(), request.sessionId(), k, v)));
        if (request.owner() != null) {
            set.append(OWNER, HeadDocument.ownerDocument(request.owner()));
        }
        if (request.renewLease() != null) {
            // fenced: the filter names the holder, so the lease this extends is the request's own
            set.append(LEASE + "." + LEASE_EXPIRES_AT, Date.from(ctx.time.now().plus(request.renewLease())));
        }
        Document onInsert = new Document(LANGUAGE, request.language())
                .append(CREATED_AT, now)
                .append(HEAD_SEQ, 0L)
                // a new head always gets a new generation, also when a retry re-creates it
                .append(GENERATION, new ObjectId());
        MongoDataKeys.onInsert(onInsert, batch.sealed());
        return new Document("$setOnInsert", onInsert)
                .append("$set", set)
                .append("$inc", new Document(MESSAGE_COUNT, (long) batch.size()).append(HEAD_BYTES, batch.bytes()))
                .append("$push", new Document(MESSAGES, new Document("$each", batch.encoded()))
                        .append(APPEND_KEYS, AppendKeys.push(batch.key(), ctx.limits.appendIdWindow())));
    }

    /**
     * After a refused update, finds out why (see the class comment). Empty means: try again; the
     * {@code race}-th lost race of this append backs off longer (with jitter) than the one before;
     * a head found gone counts in {@code vanished[0]}.
     */
    private Optional<AppendResult> resolve(Batch batch, boolean ownAttemptMayHaveApplied, int race, int[] vanished,
            Deadline deadline) {
        AppendRequest request = batch.request();
        Document head = deadline.heads().find(new Document(SESSION_ID, request.sessionId()))
                .projection(Projections.fields(Projections.include(APPEND_KEYS, APPEND_KEY_BLOCKS, RECENT_APPENDS, MESSAGE_COUNT, HEAD_SEQ,
                        HEAD_BYTES, GENERATION, LEASE, MESSAGES + "." + MessageCodec.APPEND_ID, ERASED_AT, ERASED_KEYS,
                        ERASED_KEY_BLOCKS, OWNER, FORK, MongoDataKeys.KEY_ID, MongoDataKeys.DATA_KEY), Projections.excludeId()))
                .first();
        if (head == null) {
            if (request.isFenced()) {
                throw LeaseLostException.refused(request, "the session was deleted");
            }
            if (request.requireExisting()) {
                throw ConversationNotFoundException.of(request);
            }
            if (request.expectedSequence() != null && request.expectedSequence() != 0) {
                throw SequenceMismatchException.of(request, 0); // no session: its next sequence is 0
            }
            vanished[0]++; // the head was deleted in between: create it again (a bounded number of times)
            ctx.keys.renew(batch.sealed(), deadline); // a new head gets a new data key
            ctx.backOff(race, false, deadline);
            return Optional.empty();
        }
        if (!adopted(head)) {
            adoption.adopt(request.sessionId(), deadline);
            mover.moveQuietly(request.sessionId(), deadline); // an old document may hold far more than a head should
            return Optional.empty();
        }
        if (request.isFenced() && !holds(head, request.leaseHolder())) {
            // the fence first: a stale holder learns that it lost the lease, whatever its append id holds
            if (ownAttemptMayHaveApplied) {
                Optional<AppendResult> own = repeats.appliedByThisCall(batch, head, deadline);
                if (own.isPresent()) {
                    return own;
                }
            }
            throw LeaseLostException.refused(request, head.get(ERASED_AT) != null ? "the session was deleted"
                    : "another holder took the lease");
        }
        if (head.get(ERASED_AT) != null) {
            // a tombstone: a retry of an append applied before the erasure must never write after it
            if (AppendKeys.erasedIn(head, batch.key())) {
                throw AppendErasedException.of(request);
            }
            if (request.requireExisting()) {
                throw ConversationNotFoundException.of(request); // deleted: never revived by such an append
            }
            if (request.expectedSequence() != null && request.expectedSequence() != 0) {
                throw SequenceMismatchException.of(request, 0); // a deleted session starts again at 0
            }
            ctx.keys.renew(batch.sealed(), deadline); // a new life gets a new data key
            Optional<AppendResult> revived = revive(batch, head, deadline);
            if (revived.isEmpty()) {
                ctx.backOff(race, false, deadline); // another writer revived it first, or erased it again
            }
            return revived;
        }
        if (request.requireExisting() && next(head) == 0 && head.get(FORK) == null) {
            throw ConversationNotFoundException.of(request); // only a lease: refused before settle() writes it a key
        }
        if (ctx.keys.settle(head, batch.sealed(), deadline)) {
            return Optional.empty(); // sealed with another key than the head's: sealed again, try again
        }
        Owner owner = HeadDocument.owner(head);
        if (request.owner() != null && owner != null && !owner.equals(request.owner())) {
            throw OwnerMismatchException.of(request);
        }
        Optional<Long> legacy = MongoRepeats.legacyLocate(head, request.appendId());
        boolean fingerprinted = AppendKeys.heldBy(head, batch.key());
        if (legacy.isPresent() || fingerprinted || request.dedupBeyondWindow()) {
            Optional<Long> first = repeats.locate(head, request, deadline);
            if (first.isPresent() || legacy.isPresent()) {
                Optional<AppendResult> result = repeats.repeated(batch, first.orElse(legacy.orElse(0L)), first.isPresent(),
                        ownAttemptMayHaveApplied, head.get(GENERATION), deadline);
                if (result.isPresent() && result.get().duplicate() && request.renewLease() != null) {
                    renew(request, deadline);
                }
                return result;
            }
        }
        if (fingerprinted && AppendKeys.erasedIn(head, batch.key())) {
            throw AppendErasedException.of(request); // applied in the erased conversation, not stored in this one
        }
        if (request.expectedSequence() != null && request.expectedSequence() != next(head)) {
            throw SequenceMismatchException.of(request, next(head)); // not a repeat: the session moved on
        }
        if (fingerprinted) {
            // another append id with the same fingerprint: apply against the exact state just read
            Document guard = new Document(GENERATION, head.get(GENERATION))
                    .append(HEAD_SEQ, head.get(HEAD_SEQ))
                    .append(MESSAGES, new Document("$size", messages(head).size()));
            Optional<AppendResult> applied = attempt(batch, guard, null, deadline);
            if (applied.isPresent()) {
                return applied;
            }
        }
        if (longField(head, HEAD_BYTES) > batch.room()) {
            mover.move(request.sessionId(), Math.min(ctx.maxHeadBytes / 2, batch.room()), deadline);
            if (race > 1) {
                ctx.backOff(race, false, deadline); // still full after a move: another mover is at work
            }
        } else {
            ctx.backOff(race, false, deadline); // another writer created the head first, or the state moved on
        }
        return Optional.empty();
    }

    private static boolean holds(Document head, String holder) {
        Document lease = head.get(LEASE, Document.class);
        return lease != null && holder.equals(lease.getString(LEASE_HOLDER));
    }

    /** Extends the lease of a fenced duplicate that asked for it, if its holder still holds it. */
    private void renew(AppendRequest request, Deadline deadline) {
        deadline.heads().updateOne(new Document(SESSION_ID, request.sessionId()).append(LEASE + "." + LEASE_HOLDER,
                request.leaseHolder()), new Document("$set", new Document(LEASE + "." + LEASE_EXPIRES_AT,
                        Date.from(ctx.time.now().plus(request.renewLease())))));
    }
}
