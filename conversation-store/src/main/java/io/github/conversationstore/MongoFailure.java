package io.github.conversationstore;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoConnectionPoolClearedException;
import com.mongodb.MongoException;
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
    /** Anything else: a bug or a misconfiguration, reported as is. */
    OTHER;

    /** Server codes for "document too large": BSONObjectTooLarge and its update/insert variants. */
    static final Set<Integer> SIZE_CODES = Set.of(10334, 17419, 17420);

    static MongoFailure of(RuntimeException e) {
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
