package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.APPEND_ID;
import static io.github.conversationstore.HeadDocument.APPEND_SIZE;
import static io.github.conversationstore.HeadDocument.ATTRIBUTES;
import static io.github.conversationstore.HeadDocument.CREATED_AT;
import static io.github.conversationstore.HeadDocument.HEAD_SEQ;
import static io.github.conversationstore.HeadDocument.LANGUAGE;
import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.MESSAGE_COUNT;
import static io.github.conversationstore.HeadDocument.RECENT_APPENDS;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.UPDATED_AT;

import com.mongodb.ConnectionString;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.FindOneAndDeleteOptions;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * A {@link ConversationStore} on MongoDB ({@code mongodb-driver-sync}): one head document per
 * session, keyed by {@code sessionId} with a unique index, the layout described in
 * {@code docs/ARCHITECTURE.md}.
 *
 * <p>An append is one {@code findAndModify} command: an upsert whose filter excludes sessions that
 * already hold the append id, which pushes the messages, bumps the message count, records the
 * append id and sets the header, all in one atomic document update, and returns only the previous
 * message count (a reply of constant size). Duplicate-key errors (E11000) from concurrent creation
 * and network failures are classified and retried with bounds; no driver exception escapes.
 *
 * <p>Works on standalone servers, replica sets and sharded clusters (shard key
 * {@code {sessionId: 1}}); writes use the configured write concern, {@code majority} by default.
 * Thread-safe.
 *
 * @since 0.1.0
 */
public final class MongoConversationStore implements ConversationStore {
    private static final Bson COUNTERS = Projections.fields(
            Projections.include(MESSAGE_COUNT, HEAD_SEQ), Projections.excludeId());
    private static final FindOneAndUpdateOptions APPEND_OPTIONS = new FindOneAndUpdateOptions()
            .upsert(true)
            .returnDocument(ReturnDocument.BEFORE)
            .projection(COUNTERS);

    private final MongoClient client;
    private final boolean ownsClient;
    private final MongoCollection<Document> heads;
    private final Limits limits;
    private final Clock clock;
    private final int maxAttempts;

    private MongoConversationStore(Builder b, MongoClient client, boolean ownsClient) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.heads = client.getDatabase(b.database)
                .getCollection(b.collection)
                .withWriteConcern(b.writeConcern);
        this.limits = b.limits;
        this.clock = b.clock;
        this.maxAttempts = b.maxAttempts;
        if (b.createIndexes) {
            call("create the index " + SESSION_ID + "_1", () -> heads.createIndex(
                    Indexes.ascending(SESSION_ID), new IndexOptions().unique(true).name(SESSION_ID + "_1")));
        }
    }

    /**
     * Starts configuring a store.
     *
     * @return a builder; {@code database} and a client or connection string are required
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public AppendResult appendMessages(AppendRequest request) {
        Objects.requireNonNull(request, "request");
        limits.check(request);
        Bson filter = new Document(SESSION_ID, request.sessionId())
                .append(RECENT_APPENDS + "." + APPEND_ID, new Document("$ne", request.appendId()));
        Bson update = appendUpdate(request, clock.instant());
        int size = request.messages().size();
        boolean outcomeUnknown = false;
        RuntimeException last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            try {
                Document before = heads.findOneAndUpdate(filter, update, APPEND_OPTIONS);
                if (before == null) {
                    return new AppendResult(request.appendId(), 0, size, true, false);
                }
                return new AppendResult(request.appendId(), HeadDocument.longField(before, MESSAGE_COUNT),
                        size, false, false);
            } catch (RuntimeException e) {
                last = e;
                MongoFailure failure = MongoFailure.of(e);
                if (failure == MongoFailure.DUPLICATE_KEY) {
                    // Either the session holds the append id (the filter excluded it, so the upsert
                    // tried to insert a second head), or a concurrent writer created the head first.
                    Optional<AppendResult> applied;
                    try {
                        applied = findApplied(request.sessionId(), request.appendId(), outcomeUnknown);
                    } catch (RuntimeException readFailure) {
                        if (MongoFailure.of(readFailure) != MongoFailure.TRANSIENT) {
                            throw translate("append to session '" + request.sessionId() + "'", readFailure);
                        }
                        last = readFailure;
                        backOff(attempt, true);
                        continue;
                    }
                    if (applied.isPresent()) {
                        return applied.get();
                    }
                    backOff(attempt, false);
                } else if (failure == MongoFailure.TRANSIENT) {
                    outcomeUnknown = true;
                    backOff(attempt, true);
                } else {
                    throw translate("append to session '" + request.sessionId() + "'", e);
                }
            }
        }
        String what = "append " + request.appendId() + " to session '" + request.sessionId() + "' failed after "
                + maxAttempts + " attempts";
        if (MongoFailure.of(last) == MongoFailure.DUPLICATE_KEY) {
            throw new ConcurrentAppendException(what + ": concurrent writers won every attempt", last);
        }
        throw new ConversationStoreUnavailableException(what + "; retry with the same append id", last);
    }

    private Bson appendUpdate(AppendRequest request, Instant now) {
        Date nowDate = Date.from(now);
        Document set = new Document(UPDATED_AT, nowDate);
        request.headerAttributes().forEach((k, v) -> set.append(ATTRIBUTES + "." + k, v));
        Document appendEntry = new Document(APPEND_ID, request.appendId())
                .append(APPEND_SIZE, request.messages().size());
        return new Document("$setOnInsert", new Document(LANGUAGE, request.language())
                        .append(CREATED_AT, nowDate)
                        .append(HEAD_SEQ, 0L))
                .append("$set", set)
                .append("$inc", new Document(MESSAGE_COUNT, (long) request.messages().size()))
                .append("$push", new Document(MESSAGES,
                                new Document("$each", HeadDocument.encode(request.messages())))
                        .append(RECENT_APPENDS, new Document("$each", List.of(appendEntry))
                                .append("$slice", -limits.appendIdWindow())));
    }

    /**
     * Looks the append id up in the session's recent appends. The sequence range of an entry is
     * derived from the message count: the entries are contiguous and the last one ends there.
     */
    private Optional<AppendResult> findApplied(String sessionId, String appendId, boolean ownAttemptMayHaveApplied) {
        Document head = heads.find(new Document(SESSION_ID, sessionId))
                .projection(Projections.fields(Projections.include(RECENT_APPENDS, MESSAGE_COUNT), Projections.excludeId()))
                .first();
        if (head == null) {
            return Optional.empty();
        }
        List<Document> appends = head.getList(RECENT_APPENDS, Document.class, List.of());
        long end = HeadDocument.longField(head, MESSAGE_COUNT);
        for (int i = appends.size() - 1; i >= 0; i--) {
            Document entry = appends.get(i);
            int n = ((Number) entry.get(APPEND_SIZE)).intValue();
            long first = end - n;
            if (appendId.equals(entry.getString(APPEND_ID))) {
                // If an earlier attempt of this very call may have applied it, report it as applied
                // by this call, not as the caller's duplicate.
                return Optional.of(ownAttemptMayHaveApplied
                        ? new AppendResult(appendId, first, n, first == 0, false)
                        : new AppendResult(appendId, first, n, false, true));
            }
            end = first;
        }
        return Optional.empty();
    }

    @Override
    public List<StoredMessage> recentMessages(String sessionId, int limit) {
        Checks.sessionId(sessionId);
        Limits.readLimit(limit);
        Document head = call("read session '" + sessionId + "'", () -> heads.find(new Document(SESSION_ID, sessionId))
                .projection(Projections.fields(Projections.include(MESSAGE_COUNT, HEAD_SEQ),
                        Projections.slice(MESSAGES, -limit), Projections.excludeId()))
                .first());
        if (head == null) {
            return List.of();
        }
        List<Document> docs = head.getList(MESSAGES, Document.class, List.of());
        return toStored(HeadDocument.longField(head, MESSAGE_COUNT) - docs.size(), docs);
    }

    @Override
    public List<StoredMessage> readMessages(String sessionId, long fromSequence, int limit) {
        Checks.sessionId(sessionId);
        Checks.notNegative("fromSequence", fromSequence);
        Limits.readLimit(limit);
        if (fromSequence > Integer.MAX_VALUE) {
            return List.of();
        }
        Document head = call("read session '" + sessionId + "'", () -> heads.find(new Document(SESSION_ID, sessionId))
                .projection(Projections.fields(Projections.include(MESSAGE_COUNT, HEAD_SEQ),
                        Projections.slice(MESSAGES, (int) fromSequence, limit), Projections.excludeId()))
                .first());
        if (head == null) {
            return List.of();
        }
        return toStored(HeadDocument.longField(head, HEAD_SEQ) + fromSequence,
                head.getList(MESSAGES, Document.class, List.of()));
    }

    private static List<StoredMessage> toStored(long firstSequence, List<Document> docs) {
        List<StoredMessage> out = new ArrayList<>(docs.size());
        for (int i = 0; i < docs.size(); i++) {
            out.add(new StoredMessage(firstSequence + i, HeadDocument.decode(docs.get(i))));
        }
        return out;
    }

    @Override
    public Optional<ConversationHeader> findConversation(String sessionId) {
        Checks.sessionId(sessionId);
        Document head = call("read session '" + sessionId + "'", () -> heads.find(new Document(SESSION_ID, sessionId))
                .projection(Projections.exclude(MESSAGES, RECENT_APPENDS))
                .first());
        return head == null ? Optional.empty() : Optional.of(HeadDocument.header(head));
    }

    @Override
    public long deleteConversation(String sessionId) {
        Checks.sessionId(sessionId);
        Document deleted = call("delete session '" + sessionId + "'", () -> heads.findOneAndDelete(
                new Document(SESSION_ID, sessionId),
                new FindOneAndDeleteOptions().projection(COUNTERS)));
        return deleted == null ? 0 : HeadDocument.longField(deleted, MESSAGE_COUNT);
    }

    /** Closes the client if the store created it from a connection string. */
    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }

    /** Runs an idempotent operation, retrying transient failures, translating the rest. */
    private <T> T call(String what, Supplier<T> operation) {
        RuntimeException last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            try {
                return operation.get();
            } catch (RuntimeException e) {
                if (MongoFailure.of(e) != MongoFailure.TRANSIENT) {
                    throw translate(what, e);
                }
                last = e;
                backOff(attempt, true);
            }
        }
        throw new ConversationStoreUnavailableException(
                "could not " + what + " after " + maxAttempts + " attempts", last);
    }

    private static ConversationStoreException translate(String what, RuntimeException e) {
        switch (MongoFailure.of(e)) {
            case TOO_LARGE:
                return new ConversationTooLargeException("could not " + what + ": the document would be too large ("
                        + e.getMessage() + ")", e);
            case TRANSIENT:
                return new ConversationStoreUnavailableException("could not " + what + ": " + e.getMessage(), e);
            default:
                return new ConversationStoreException("could not " + what + ": " + e.getMessage(), e);
        }
    }

    /** Sleeps a little before the next attempt: briefly after a lost race, longer after a network failure. */
    private static void backOff(int attempt, boolean transientFailure) {
        long capMicros = transientFailure
                ? Math.min(2_000_000L, 50_000L << Math.min(attempt - 1, 6))
                : Math.min(20_000L, 500L << Math.min(attempt - 1, 6));
        LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(capMicros / 2, capMicros + 1) * 1_000L);
    }

    /**
     * Configures a {@link MongoConversationStore}. Not thread-safe.
     *
     * @since 0.1.0
     */
    public static final class Builder {
        private MongoClient client;
        private String connectionString;
        private String database;
        private String collection = "conversations";
        private WriteConcern writeConcern = WriteConcern.MAJORITY;
        private Limits limits = Limits.DEFAULTS;
        private Clock clock = Clock.systemUTC();
        private int maxAttempts = 8;
        private boolean createIndexes = true;

        private Builder() {}

        /**
         * Uses this client; the store does not close it. Excludes {@link #connectionString(String)}.
         *
         * @param value the client
         * @return this builder
         */
        public Builder client(MongoClient value) {
            this.client = Objects.requireNonNull(value, "client");
            return this;
        }

        /**
         * Creates a client from this connection string; {@link MongoConversationStore#close()}
         * closes it. Excludes {@link #client(MongoClient)}.
         *
         * @param value a {@code mongodb://} or {@code mongodb+srv://} connection string
         * @return this builder
         */
        public Builder connectionString(String value) {
            this.connectionString = Objects.requireNonNull(value, "connectionString");
            return this;
        }

        /**
         * Sets the database name (required).
         *
         * @param value the database
         * @return this builder
         */
        public Builder database(String value) {
            this.database = Objects.requireNonNull(value, "database");
            return this;
        }

        /**
         * Sets the collection of head documents (default {@code conversations}).
         *
         * @param value the collection name
         * @return this builder
         */
        public Builder collection(String value) {
            this.collection = Objects.requireNonNull(value, "collection");
            return this;
        }

        /**
         * Sets the write concern of every write (default {@link WriteConcern#MAJORITY}).
         *
         * @param value the write concern
         * @return this builder
         */
        public Builder writeConcern(WriteConcern value) {
            this.writeConcern = Objects.requireNonNull(value, "writeConcern");
            return this;
        }

        /**
         * Sets the longest message text accepted, in UTF-8 bytes (default 65536).
         *
         * @param bytes the bound, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is not positive
         */
        public Builder maxTextBytes(int bytes) {
            limits = limits.withMaxTextBytes(bytes);
            return this;
        }

        /**
         * Sets how many of a session's last appends are remembered to recognize a repeated append id
         * (default and minimum 64).
         *
         * @param appends the window
         * @return this builder
         * @throws IllegalArgumentException if {@code appends} is below 64
         */
        public Builder appendIdWindow(int appends) {
            limits = limits.withAppendIdWindow(appends);
            return this;
        }

        /**
         * Sets how many times one operation is tried before it fails (default 8): covers lost
         * creation races and network failures.
         *
         * @param attempts 1 or more
         * @return this builder
         * @throws IllegalArgumentException if {@code attempts} is not positive
         */
        public Builder maxAttempts(int attempts) {
            this.maxAttempts = Checks.positive("maxAttempts", attempts);
            return this;
        }

        /**
         * Sets the clock for {@code createdAt} and {@code updatedAt} (default: system UTC).
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Whether {@link #build()} creates the unique index {@code sessionId_1} if it is missing
         * (default true). Turn off where the application manages indexes itself.
         *
         * @param value true to create indexes
         * @return this builder
         */
        public Builder createIndexes(boolean value) {
            this.createIndexes = value;
            return this;
        }

        /**
         * Validates the settings, connects if given a connection string, and creates the indexes.
         *
         * @return the store
         * @throws IllegalStateException if {@code database} is missing, or neither or both of
         *     {@code client} and {@code connectionString} are set
         * @throws IllegalArgumentException if the connection string or a name is invalid
         * @throws ConversationStoreException if the indexes cannot be created
         */
        public MongoConversationStore build() {
            if (database == null) {
                throw new IllegalStateException("database is required");
            }
            if ((client == null) == (connectionString == null)) {
                throw new IllegalStateException("exactly one of client and connectionString is required");
            }
            if (client != null) {
                return new MongoConversationStore(this, client, false);
            }
            MongoClient created = MongoClients.create(new ConnectionString(connectionString));
            try {
                return new MongoConversationStore(this, created, true);
            } catch (RuntimeException e) {
                created.close();
                throw e;
            }
        }
    }
}
