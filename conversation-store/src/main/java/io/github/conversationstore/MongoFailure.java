package io.github.conversationstore;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoConnectionPoolClearedException;
import com.mongodb.MongoException;
import com.mongodb.MongoExecutionTimeoutException;
import com.mongodb.MongoInterruptedException;
import com.mongodb.MongoNodeIsRecoveringException;
import com.mongodb.MongoNotPrimaryException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.MongoWriteConcernException;
import com.mongodb.MongoWriteException;
import java.util.Set;
import org.bson.BsonMaximumSizeExceededException;

/** How the store reacts to a driver failure. */
enum MongoFailure {
    /** E11000: another writer inserted the document first, or the append id was applied. */
    DUPLICATE_KEY,
    /** A document or command over a size limit: never retried. */
    TOO_LARGE,
    /** The outcome is unknown or the server was unreachable: retry with the same append id. */
    TRANSIENT,
    /**
     * The calling thread was interrupted: the outcome is unknown, and nothing more is tried on this
     * thread; the caller retries with the same append id.
     */
    INTERRUPTED,
    /** Anything else: a bug or a misconfiguration, reported as is. */
    OTHER;

    /** Server codes for "document too large": BSONObjectTooLarge and its update/insert variants. */
    static final Set<Integer> SIZE_CODES = Set.of(10334, 17419, 17420);
    /**
     * Server codes whose outcome is unknown: the write may have been applied. IncompleteTransactionHistory
     * (217) answers a retried write whose earlier execution the server no longer remembers;
     * MaxTimeMSExpired (50) a command cut off by its deadline.
     */
    static final Set<Integer> UNKNOWN_OUTCOME_CODES = Set.of(217, 50);

    static MongoFailure of(RuntimeException e) {
        if (e instanceof MongoInterruptedException || Thread.currentThread().isInterrupted()) {
            return INTERRUPTED;
        }
        if (e instanceof BsonMaximumSizeExceededException) {
            return TOO_LARGE;
        }
        if (!(e instanceof MongoException)) {
            return OTHER;
        }
        MongoException me = (MongoException) e;
        int code = serverCode(me);
        if (ErrorCategory.fromErrorCode(code) == ErrorCategory.DUPLICATE_KEY) {
            return DUPLICATE_KEY;
        }
        if (SIZE_CODES.contains(code)) {
            return TOO_LARGE;
        }
        if (me instanceof MongoSocketException
                || me instanceof MongoTimeoutException
                || me instanceof MongoNotPrimaryException
                || me instanceof MongoNodeIsRecoveringException
                || me instanceof MongoConnectionPoolClearedException
                || me instanceof MongoWriteConcernException
                || me instanceof MongoExecutionTimeoutException
                || UNKNOWN_OUTCOME_CODES.contains(code)
                || me.hasErrorLabel("RetryableWriteError")
                || me.hasErrorLabel(MongoException.TRANSIENT_TRANSACTION_ERROR_LABEL)) {
            return TRANSIENT;
        }
        return OTHER;
    }

    /** The server's error code, looking inside write exceptions, whose own code is a category. */
    static int serverCode(MongoException e) {
        if (e instanceof MongoWriteException) {
            return ((MongoWriteException) e).getError().getCode();
        }
        if (e instanceof MongoCommandException) {
            return ((MongoCommandException) e).getErrorCode();
        }
        return e.getCode();
    }
}
