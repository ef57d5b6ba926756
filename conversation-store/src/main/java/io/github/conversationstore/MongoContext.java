package io.github.conversationstore;

import com.mongodb.ReadConcern;
import com.mongodb.ReadPreference;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.conversationstore.spi.StoreListener;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.bson.Document;

/**
 * What the parts of {@link MongoConversationStore} share: the two collections, the settings, the
 * server's time, and the discipline every database call follows: one overall deadline per
 * operation, bounded retries of transient failures, and no driver exception escaping.
 *
 * <p>Every read goes to the primary. When writes are acknowledged by a majority (the default),
 * reads use read concern {@code majority} too, so no decision is taken on a write that a failover
 * could roll back; with a weaker write concern they use {@code local}, so that a store still reads
 * its own writes.
 */
final class MongoContext {
    final MongoClient client;
    final MongoDatabase database;
    final Limits limits;
    final MessageCodec codec;
    /** The data keys, when messages are encrypted (see MongoDataKeys); a no-op otherwise. */
    final MongoDataKeys keys;
    final int maxAttempts;
    final int maxHeadMessages;
    final long maxHeadBytes;
    final long maxDocumentBytes;
    /** Whether other programs (the original backend) push to heads without the library's counters. */
    final boolean foreignWriters;
    final Duration operationTimeout;
    final ServerClock time;
    final Observers observers;
    private final MongoCollection<Document> heads;
    private final MongoCollection<Document> archive;
    private final MongoCollection<Document> summaries;
    private final MongoCollection<Document> drafts;
    private final MongoCollection<Document> forks;
    private volatile MoveStepHook moveStepHook = step -> { };
    private volatile Duration moveClaim = Duration.ofSeconds(5);

    /** Test seam: called after each step of moving messages to the archive. */
    @FunctionalInterface
    interface MoveStepHook {
        void reached(String step);
    }

    MongoContext(MongoSettings settings, MongoClient client, MongoDatabase database) {
        this.client = client;
        this.database = database;
        WriteConcern writeConcern = settings.writeConcern();
        ReadConcern readConcern = isMajority(writeConcern) ? ReadConcern.MAJORITY : ReadConcern.LOCAL;
        this.heads = database.getCollection(settings.collection())
                .withWriteConcern(writeConcern)
                .withReadPreference(ReadPreference.primary())
                .withReadConcern(readConcern);
        // chunks are always written with majority: a trim must never survive its chunk's rollback
        this.archive = database.getCollection(settings.archiveCollection())
                .withWriteConcern(WriteConcern.MAJORITY)
                .withReadPreference(ReadPreference.primary())
                .withReadConcern(readConcern);
        this.summaries = database.getCollection(settings.collection() + MongoSummaries.SUMMARY_SUFFIX)
                .withWriteConcern(writeConcern)
                .withReadPreference(ReadPreference.primary())
                .withReadConcern(readConcern);
        this.drafts = database.getCollection(settings.collection() + MongoDrafts.SUFFIX)
                .withWriteConcern(writeConcern)
                .withReadPreference(ReadPreference.primary())
                .withReadConcern(readConcern);
        this.forks = database.getCollection(settings.collection() + MongoForks.SUFFIX)
                .withWriteConcern(WriteConcern.MAJORITY) // a reference must never be rolled back while its fork lives
                .withReadPreference(ReadPreference.primary())
                .withReadConcern(readConcern);
        this.limits = settings.limits();
        this.codec = new MessageCodec(settings.assistantRoleName());
        this.keys = new MongoDataKeys(this, settings.keyProvider());
        this.maxAttempts = settings.maxAttempts();
        this.maxHeadMessages = settings.maxHeadMessages();
        this.maxHeadBytes = settings.maxHeadBytes();
        this.maxDocumentBytes = settings.maxDocumentBytes();
        this.foreignWriters = settings.foreignWriters();
        this.operationTimeout = settings.operationTimeout();
        this.time = new ServerClock(settings.clock(), database, settings.nanoTime());
        this.observers = settings.observers();
    }

    private static boolean isMajority(WriteConcern writeConcern) {
        return "majority".equals(writeConcern.getWObject()) || writeConcern.getWObject() == null;
    }

    void onMoveStep(MoveStepHook hook) {
        this.moveStepHook = hook;
    }

    /** How long a mover's claim on a head lasts (test seam: shortened to simulate a dead mover). */
    Duration moveClaim() {
        return moveClaim;
    }

    void moveClaim(Duration value) {
        this.moveClaim = value;
    }

    void reached(String step) {
        moveStepHook.reached(step);
    }

    /**
     * Starts the deadline of one operation: {@code operation} names it in events and logs (no
     * session id, no content), {@code what} describes it in errors.
     */
    Deadline deadline(String operation, String sessionId, String what) {
        return new Deadline(operation, sessionId, what, System.nanoTime() + operationTimeout.toNanos());
    }

    /** A transient failure of the operation is about to be retried: an event and a debug line. */
    void retrying(Deadline deadline, int attempt, Throwable failure) {
        String reason = StoreListener.outcome(failure);
        Observers.LOG.log(System.Logger.Level.DEBUG, () -> deadline.operation + ": attempt " + attempt
                + " failed with " + reason + "; retrying");
        if (observers.active()) {
            String session = observers.session(deadline.sessionId);
            observers.emit(l -> l.onRetry(new StoreListener.Retry(
                    session, deadline.operation, attempt, reason)));
        }
    }

    /** A concurrent writer won a race that the operation settles itself. */
    void raceAbsorbed(Deadline deadline) {
        if (observers.active()) {
            String session = observers.session(deadline.sessionId);
            observers.emit(l -> l.onRaceAbsorbed(new StoreListener.RaceAbsorbed(
                    session, deadline.operation)));
        }
    }

    /** The operation ran out of attempts: a warning (the caller gets an exception too). */
    static void gaveUp(Deadline deadline, int attempts, Throwable last) {
        Observers.LOG.log(System.Logger.Level.WARNING, () -> deadline.operation + " gave up after " + attempts
                + " attempts; last failure: " + StoreListener.outcome(last));
    }

    /** Runs an idempotent operation, retrying transient failures within the deadline. */
    /** The drafts collection without an operation's deadline: for change streams, which outlive one. */
    MongoCollection<Document> draftsToWatch() {
        return drafts;
    }

    <T> T call(Deadline deadline, Function<Deadline, T> operation) {
        RuntimeException last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            try {
                return operation.apply(deadline);
            } catch (RuntimeException e) {
                MongoFailure failure = MongoFailure.of(e);
                if (failure != MongoFailure.TRANSIENT || e instanceof ConversationStoreException) {
                    throw translate(deadline.what, e);
                }
                last = e;
                if (attempt < maxAttempts) {
                    retrying(deadline, attempt, e);
                    backOff(attempt, true, deadline);
                }
            }
        }
        gaveUp(deadline, maxAttempts, last);
        throw new ConversationStoreUnavailableException(
                "could not " + deadline.what + " after " + maxAttempts + " attempts: " + last.getMessage(), last);
    }

    /** Runs {@link #call} under a new deadline. */
    <T> T call(String operation, String sessionId, String what, Function<Deadline, T> work) {
        return call(deadline(operation, sessionId, what), work);
    }

    static ConversationStoreException translate(String what, RuntimeException e) {
        if (e instanceof ConversationStoreException) {
            return (ConversationStoreException) e;
        }
        switch (MongoFailure.of(e)) {
            case TOO_LARGE:
                return new ConversationTooLargeException("could not " + what + ": the document would be too large ("
                        + e.getMessage() + ")", e);
            case TRANSIENT:
                return new ConversationStoreUnavailableException("could not " + what + ": " + e.getMessage()
                        + "; the outcome is unknown: retry with the same append id", e);
            case INTERRUPTED:
                Thread.currentThread().interrupt();
                return new ConversationStoreUnavailableException("could not " + what
                        + ": the thread was interrupted; the outcome is unknown: retry with the same append id", e);
            default:
                return new ConversationStoreException("could not " + what + ": " + e.getMessage(), e);
        }
    }

    /**
     * Sleeps a little before the next attempt: briefly after a lost race, longer after a network
     * failure; never past the deadline.
     */
    void backOff(int attempt, boolean transientFailure, Deadline deadline) {
        long capMicros = transientFailure
                ? Math.min(1_000_000L, 20_000L << Math.min(attempt - 1, 6))
                : Math.min(20_000L, 500L << Math.min(attempt - 1, 6));
        long nanos = ThreadLocalRandom.current().nextLong(capMicros / 2, capMicros + 1) * 1_000L;
        LockSupport.parkNanos(Math.min(nanos, deadline.remainingNanos() / 2));
        if (Thread.currentThread().isInterrupted()) {
            throw new ConversationStoreUnavailableException("could not " + deadline.what
                    + ": the thread was interrupted; the outcome is unknown: retry with the same append id", null);
        }
    }

    /**
     * The time left to one operation. Every database call of the operation gets what is left as
     * its client-side timeout, so server selection, connecting and waiting for a reply all count.
     */
    final class Deadline {
        final String operation;
        final String sessionId;
        final String what;
        private final long endNanos;

        private Deadline(String operation, String sessionId, String what, long endNanos) {
            this.operation = operation;
            this.sessionId = sessionId;
            this.what = what;
            this.endNanos = endNanos;
        }

        long remainingNanos() {
            return Math.max(0, endNanos - System.nanoTime());
        }

        private long remainingMillis() {
            long millis = TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime());
            if (millis < 1) {
                throw new ConversationStoreUnavailableException("could not " + what + " within the operation timeout of "
                        + operationTimeout.toMillis() + " ms; the outcome is unknown: retry with the same append id", null);
            }
            return millis;
        }

        MongoCollection<Document> heads() {
            return heads.withTimeout(remainingMillis(), TimeUnit.MILLISECONDS);
        }

        MongoCollection<Document> archive() {
            return archive.withTimeout(remainingMillis(), TimeUnit.MILLISECONDS);
        }

        MongoCollection<Document> summaries() {
            return summaries.withTimeout(remainingMillis(), TimeUnit.MILLISECONDS);
        }

        MongoCollection<Document> drafts() {
            return drafts.withTimeout(remainingMillis(), TimeUnit.MILLISECONDS);
        }

        MongoCollection<Document> forks() {
            return forks.withTimeout(remainingMillis(), TimeUnit.MILLISECONDS);
        }

        MongoDatabase database() {
            return database.withTimeout(remainingMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
