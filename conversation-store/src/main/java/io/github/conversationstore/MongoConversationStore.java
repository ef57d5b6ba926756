package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.END_SEQ;
import static io.github.conversationstore.HeadDocument.GENERATION;
import static io.github.conversationstore.HeadDocument.MESSAGES;
import static io.github.conversationstore.HeadDocument.SESSION_ID;
import static io.github.conversationstore.HeadDocument.UPDATED_AT;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCommandException;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * A {@link ConversationStore} on MongoDB ({@code mongodb-driver-sync}): a small head document per
 * session, keyed by {@code sessionId} with a unique index, and immutable archive chunks for older
 * messages; see
 * <a href="https://github.com/conversationstore/conversation-store/blob/main/docs/ARCHITECTURE.md">ARCHITECTURE.md</a>.
 *
 * <p>An append is one {@code findAndModify} command: an upsert whose filter excludes sessions that
 * already hold the append id (and heads too full to take the batch), which pushes the messages,
 * bumps the counters, records the append id and sets the header, all in one atomic document update,
 * and returns only the previous counters (a reply of constant size). When the head passes its
 * bounds ({@link Builder#maxHeadMessages(int)}, {@link Builder#maxHeadBytes(int)}), the append that
 * crossed them moves the oldest messages to an archive chunk: copy, then trim guarded on the exact
 * state of the head, idempotent and safe to interrupt at any point. Duplicate-key errors (E11000)
 * and network failures are classified and retried with bounds, within one deadline per operation
 * ({@link Builder#operationTimeout(Duration)}); no driver exception escapes.
 *
 * <p>Every read goes to the primary, with read concern {@code majority} when writes use it (the
 * default); leases and timestamps use the server's time. Works on standalone servers, replica sets
 * and sharded clusters (shard keys {@code {sessionId: 1}} for heads and {@code {sessionId: 1, _id: 1}}
 * for the archive; see docs/SHARDING.md). Thread-safe.
 *
 * @since 0.1.0
 */
public final class MongoConversationStore implements ConversationStore {
    private final MongoContext ctx;
    private final boolean ownsClient;
    private final MongoReader reader;
    private final MongoArchiveMover mover;
    private final MongoAppender appender;
    private final MongoLeases leases;
    private final MongoErasure erasure;

    private MongoConversationStore(Builder b, MongoClient client, boolean ownsClient) {
        this.ownsClient = ownsClient;
        MongoDatabase database = b.database != null ? b.database : client.getDatabase(b.databaseName);
        this.ctx = new MongoContext(client, database, b.collection,
                b.archiveCollection == null ? b.collection + "_archive" : b.archiveCollection,
                b.writeConcern, b.limits, new MessageCodec(b.assistantRoleName), b.maxAttempts, b.maxHeadMessages,
                b.maxHeadBytes, b.maxDocumentBytes, b.foreignWriters, b.operationTimeout,
                new ServerClock(b.clock, database, b.nanoTime), b.observers());
        this.reader = new MongoReader(ctx);
        this.mover = new MongoArchiveMover(ctx);
        this.appender = new MongoAppender(ctx, mover, reader);
        this.leases = new MongoLeases(ctx);
        this.erasure = new MongoErasure(ctx);
        if (b.createIndexes) {
            createIndexes(b.expireAfterInactivity);
            try {
                ctx.time.now(); // measure the server's clock now rather than in the first operation
            } catch (ConversationStoreUnavailableException e) {
                // the first operation that needs the time measures it, or fails as retryable
            }
        }
    }

    private void createIndexes(Duration expireAfterInactivity) {
        MongoContext.Deadline overall = ctx.deadline("create indexes", null, "create the indexes");
        ctx.call(overall, deadline -> deadline.heads().createIndex(
                Indexes.ascending(SESSION_ID), new IndexOptions().unique(true).name(SESSION_ID + "_1")));
        ctx.call(overall, deadline -> deadline.archive().createIndex(
                Indexes.ascending(SESSION_ID, GENERATION, END_SEQ),
                new IndexOptions().name(SESSION_ID + "_1_" + GENERATION + "_1_" + END_SEQ + "_1")));
        // finds an append id in the archive, for appends deduplicated beyond the window
        String appendIds = MESSAGES + "." + MessageCodec.APPEND_ID;
        ctx.call(overall, deadline -> deadline.archive().createIndex(Indexes.ascending(SESSION_ID, appendIds),
                new IndexOptions().name(SESSION_ID + "_1_" + appendIds + "_1")));
        if (expireAfterInactivity != null) {
            long seconds = expireAfterInactivity.getSeconds();
            ctx.call(overall, deadline -> {
                try {
                    return deadline.heads().createIndex(Indexes.ascending(UPDATED_AT),
                            new IndexOptions().name(UPDATED_AT + "_1").expireAfter(seconds, TimeUnit.SECONDS));
                } catch (MongoCommandException e) {
                    if (e.getErrorCode() != 85 && e.getErrorCode() != 86) {
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

    /**
     * Starts configuring a store.
     *
     * @return a builder; a database (or its name with a client, connection string or client
     *     settings) is required
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Test seam: called after each step of moving messages to the archive. */
    void onMoveStep(MongoContext.MoveStepHook hook) {
        ctx.onMoveStep(Objects.requireNonNull(hook, "hook"));
    }

    /** Test seam: how long a mover's claim lasts. */
    void moveClaim(Duration value) {
        ctx.moveClaim(value);
    }

    /** Test seam: the server clock's offset. */
    ServerClock serverClock() {
        return ctx.time;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One round trip when the append id is new and the head has room; a repeated append id
     * costs a few more (find the stored messages, compare their content).
     *
     * @throws AppendConflictException if the append id was applied before with other messages
     * @throws LeaseLostException if the request is fenced and its holder no longer holds the lease
     */
    @Override
    public AppendResult appendMessages(AppendRequest request) {
        Objects.requireNonNull(request, "request");
        return ctx.observers.append(request, attempts -> appender.append(request, attempts));
    }

    /**
     * {@inheritDoc}
     *
     * <p>One round trip when the head holds {@code limit} messages (the usual prompt window), two
     * when older messages come from the archive.
     */
    @Override
    public List<StoredMessage> recentMessages(String sessionId, int limit) {
        Checks.sessionId(sessionId);
        Limits.readLimit(limit);
        return ctx.observers.read(sessionId, "recent", () -> ctx.call("read", sessionId, "read session '" + sessionId + "'",
                deadline -> reader.recent(sessionId, limit, deadline).toStored()), List::size);
    }

    /**
     * {@inheritDoc}
     *
     * <p>One round trip for the first page of a conversation that was never archived; otherwise
     * two (counters, then head or archive), three when the page spans archive and head, and one
     * more each time a concurrent move shifts the head under the read.
     */
    @Override
    public List<StoredMessage> readMessages(String sessionId, long fromSequence, int limit) {
        Checks.sessionId(sessionId);
        Checks.notNegative("fromSequence", fromSequence);
        Limits.readLimit(limit);
        return ctx.observers.read(sessionId, "page", () -> ctx.call("read", sessionId, "read session '" + sessionId + "'",
                deadline -> reader.read(sessionId, fromSequence, limit, deadline).toStored()), List::size);
    }

    /**
     * {@inheritDoc}
     *
     * <p>One round trip (two for an original backend's document not yet adopted).
     */
    @Override
    public List<String> listConversationIds(String afterSessionId, int limit) {
        return new MongoListing(ctx).list(afterSessionId, limit);
    }

    @Override
    public Optional<ConversationHeader> findConversation(String sessionId) {
        Checks.sessionId(sessionId);
        return ctx.observers.read(sessionId, "header", () -> ctx.call("read", sessionId, "read session '" + sessionId + "'",
                deadline -> reader.header(sessionId, deadline)), h -> h.isPresent() ? 1 : 0);
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code update} with upsert on the head: its filter matches a head whose lease is
     * absent, expired or already {@code holder}'s. Expiry is judged by the database server's time
     * (this JVM's clock corrected by the server's, measured every 30 seconds), so processes whose
     * clocks disagree still agree on it.
     */
    @Override
    public boolean tryAcquireLease(String sessionId, String language, String holder, Duration duration) {
        return tryAcquireLease(sessionId, language, holder, null, duration);
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code update} with upsert, as the four-argument method, whose filter also matches a
     * lease recorded with the same {@code turnKey}.
     */
    @Override
    public boolean tryAcquireLease(String sessionId, String language, String holder, String turnKey, Duration duration) {
        Checks.sessionId(sessionId);
        String tag = Checks.language(language);
        Checks.identifier("holder", holder, Checks.MAX_ID_LENGTH);
        if (turnKey != null) {
            Checks.identifier("turnKey", turnKey, Checks.MAX_ID_LENGTH);
        }
        Checks.leaseDuration(duration);
        return leases.tryAcquire(sessionId, tag, holder, turnKey, duration);
    }

    @Override
    public boolean renewLease(String sessionId, String holder, Duration duration) {
        Checks.sessionId(sessionId);
        Checks.identifier("holder", holder, Checks.MAX_ID_LENGTH);
        Checks.leaseDuration(duration);
        return leases.renew(sessionId, holder, duration);
    }

    @Override
    public void releaseLease(String sessionId, String holder) {
        Checks.sessionId(sessionId);
        Checks.identifier("holder", holder, Checks.MAX_ID_LENGTH);
        leases.release(sessionId, holder);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Turns the head into a tombstone (no message, header or lease; the fingerprints of the
     * deleted conversation's append ids, so that a retry of one is refused with
     * {@link AppendErasedException}; see {@code docs/ARCHITECTURE.md}), then deletes every archive
     * chunk of every generation that is not the live head's. Calling it again is harmless and completes an interrupted erasure: a call that finds
     * a tombstone (for example because an earlier call erased it and its reply was lost) returns 0 and
     * still removes every chunk left behind. Within one call, a delete whose reply is lost is
     * retried, and the count read just before it is returned. A chunk that a concurrent move writes afterwards belongs
     * to a dead generation: reads never show it, and the next call or
     * {@link #removeOrphanedArchives()} deletes it.
     */
    @Override
    public long deleteConversation(String sessionId) {
        Checks.sessionId(sessionId);
        return ctx.observers.erase(sessionId, () -> erasure.delete(sessionId));
    }

    /**
     * Deletes archive chunks whose session head is gone or belongs to a newer generation: those of
     * sessions removed by the retention TTL index (which deletes only heads), and those a move wrote
     * while its session was being deleted. A chunk is deleted only when the primary shows that its
     * generation is dead, never because of a timestamp, so a session re-created and archived while
     * the sweep runs keeps every message. Run it periodically (for example hourly) when retention is
     * on; it reads the archive in pages of 1,000 chunk entries (one covered range read, one read of
     * the page's heads, one delete per dead generation), about one page per 1,000 chunks, and holds
     * one page in memory, however large the archive; its fan-out on a sharded cluster is in
     * {@code docs/SHARDING.md}.
     *
     * @return how many chunks were deleted
     * @throws ConversationStoreUnavailableException if the database did not answer
     */
    public long removeOrphanedArchives() {
        return ctx.observers.sweep(erasure::sweep);
    }

    /** Closes the client if the store created it from a connection string or client settings. */
    @Override
    public void close() {
        if (ownsClient) {
            ctx.client.close();
        }
    }

    /**
     * Configures a {@link MongoConversationStore}. Not thread-safe.
     *
     * @since 0.1.0
     */
    public static final class Builder extends StoreBuilder<Builder> {
        private MongoClient client;
        private String connectionString;
        private MongoClientSettings clientSettings;
        private String databaseName;
        private MongoDatabase database;
        private Duration operationTimeout = Duration.ofSeconds(10);
        private boolean foreignWriters;
        private String collection = "conversations";
        private WriteConcern writeConcern = WriteConcern.MAJORITY;
        private int maxAttempts = 8;
        private boolean createIndexes = true;
        private String archiveCollection;
        private int maxHeadMessages = 128;
        private int maxHeadBytes = 256 * 1024;
        private int maxDocumentBytes = 8 * 1024 * 1024;
        private Duration expireAfterInactivity;
        /** Test seam: the monotonic clock the server's time is extrapolated with. */
        private LongSupplier nanoTime = System::nanoTime;
        private String assistantRoleName = Role.ASSISTANT.wireName();

        private Builder() {}

        @Override
        Builder self() {
            return this;
        }

        /**
         * Uses this client; the store does not close it. Excludes {@link #connectionString(String)}
         * and {@link #clientSettings(MongoClientSettings)}.
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
         * closes it. Excludes {@link #client(MongoClient)} and {@link #clientSettings(MongoClientSettings)}.
         *
         * @param value a {@code mongodb://} or {@code mongodb+srv://} connection string
         * @return this builder
         */
        public Builder connectionString(String value) {
            this.connectionString = Objects.requireNonNull(value, "connectionString");
            return this;
        }

        /**
         * Creates a client from these settings (command listeners, pools, credentials, TLS);
         * {@link MongoConversationStore#close()} closes it. Excludes {@link #client(MongoClient)}
         * and {@link #connectionString(String)}.
         *
         * @param value the client settings
         * @return this builder
         * @since 0.2.0
         */
        public Builder clientSettings(MongoClientSettings value) {
            this.clientSettings = Objects.requireNonNull(value, "clientSettings");
            return this;
        }

        /**
         * Sets the database name (required unless {@link #database(MongoDatabase, MongoClient)} is used).
         *
         * @param value the database name
         * @return this builder
         */
        public Builder database(String value) {
            this.databaseName = Objects.requireNonNull(value, "database");
            this.database = null;
            return this;
        }

        /**
         * Uses this database, and the client it came from, which the store does not close; its
         * codec registry and read settings do not matter (the store sets its own), its write
         * concern is replaced by {@link #writeConcern(WriteConcern)}. Excludes a client,
         * connection string or client settings.
         *
         * @param value the database
         * @param owner the client {@code value} came from
         * @return this builder
         * @since 0.2.0
         */
        public Builder database(MongoDatabase value, MongoClient owner) {
            this.database = Objects.requireNonNull(value, "database");
            this.client = Objects.requireNonNull(owner, "owner");
            this.databaseName = null;
            return this;
        }

        /**
         * Sets the deadline of every operation (default 10 s): server selection, connecting, the
         * command and every retry count against it. When it passes, the operation fails with
         * {@link ConversationStoreUnavailableException}; an append can then be retried with the
         * same append id. {@link #build()} uses it for creating indexes, so an unreachable
         * server fails the build just as fast.
         *
         * @param value at least 1 millisecond
         * @return this builder
         * @throws IllegalArgumentException if {@code value} is shorter than 1 millisecond
         * @since 0.2.0
         */
        public Builder operationTimeout(Duration value) {
            Objects.requireNonNull(value, "operationTimeout");
            if (value.toMillis() < 1) {
                throw new IllegalArgumentException("operationTimeout must be at least 1 millisecond, was " + value);
            }
            this.operationTimeout = value;
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
         * Sets the collection of archive chunks (default: the head collection's name followed by
         * {@code _archive}).
         *
         * @param value the collection name
         * @return this builder
         */
        public Builder archiveCollection(String value) {
            this.archiveCollection = Objects.requireNonNull(value, "archiveCollection");
            return this;
        }

        /**
         * Sets how many messages a head may hold before the oldest move to the archive (default 128);
         * a move leaves at most half of them. The prompt window ({@code recentMessages}) is read in
         * one round trip while it is at most half this bound.
         *
         * @param messages at least 2
         * @return this builder
         * @throws IllegalArgumentException if {@code messages} is below 2
         */
        public Builder maxHeadMessages(int messages) {
            if (messages < 2) {
                throw new IllegalArgumentException("maxHeadMessages must be at least 2, was " + messages);
            }
            this.maxHeadMessages = messages;
            return this;
        }

        /**
         * Sets how many bytes of messages a head may hold before the oldest move to the archive
         * (default 256 KiB); a move leaves at most half. Small heads keep appends fast: MongoDB
         * rewrites the whole document on every update.
         *
         * @param bytes positive
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is not positive
         */
        public Builder maxHeadBytes(int bytes) {
            this.maxHeadBytes = Checks.positive("maxHeadBytes", bytes);
            return this;
        }

        /**
         * Sets the hard bound on any document of the store (default 8 MiB, at most 16 MiB): a head
         * never takes an append that would pass it (older messages move out first), and a batch
         * that could never fit is rejected with {@link ConversationTooLargeException}.
         *
         * @param bytes between 1 MiB and 16 MiB
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is outside that range
         */
        public Builder maxDocumentBytes(int bytes) {
            if (bytes < 1024 * 1024 || bytes > 16 * 1024 * 1024) {
                throw new IllegalArgumentException("maxDocumentBytes must be between 1 MiB and 16 MiB, was " + bytes);
            }
            this.maxDocumentBytes = bytes;
            return this;
        }

        /**
         * Turns on retention: a session with no append for this long is deleted by MongoDB's TTL
         * monitor (a TTL index on the head's {@code updatedAt}, never per message, so an active
         * conversation keeps its beginning). The monitor runs about once a minute; the session's
         * archive chunks are then removed by {@link MongoConversationStore#removeOrphanedArchives()}.
         *
         * @param idle at least one second
         * @return this builder
         * @throws IllegalArgumentException if {@code idle} is shorter than one second
         */
        public Builder expireAfterInactivity(Duration idle) {
            Objects.requireNonNull(idle, "idle");
            if (idle.getSeconds() < 1) {
                throw new IllegalArgumentException("expireAfterInactivity must be at least 1 second, was " + idle);
            }
            this.expireAfterInactivity = idle;
            return this;
        }

        /**
         * Preset for a collection shared with the original chat backend (documents
         * {@code {sessionId, language, messages: [{role: 'user'|'bot', text, timestamp,
         * grammarSuggestion, translation}], createdAt}} with the unique index {@code sessionId_1}):
         * collection {@code conversations}, and assistant messages stored with role {@code bot}, so
         * the old backend still reads the recent messages of every document this store touches.
         * Its documents are adopted on first touch; no migration script is needed. The old backend
         * may keep writing during a rolling migration: the messages it pushes get sequence numbers
         * in array order, and the store derives counts from the array instead of trusting its own
         * counters (appends then return the head's message markers, a few bytes per message in the
         * head, instead of a reply of constant size).
         *
         * @return this builder
         */
        public Builder forOriginalBackend() {
            this.collection = "conversations";
            this.assistantRoleName = "bot";
            this.foreignWriters = true;
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
         * Sets how many times one operation is tried before it fails (default 8): covers network
         * failures and failovers. An append that loses races to other writers of its session tries
         * again, backing off with jitter, until its operation timeout instead.
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

        /** Test seam: the monotonic clock ({@link System#nanoTime()}) the server's time is extrapolated with. */
        Builder nanoTime(LongSupplier value) {
            this.nanoTime = Objects.requireNonNull(value, "nanoTime");
            return this;
        }

        /**
         * Validates the settings, connects if given a connection string, and creates the indexes.
         *
         * @return the store
         * @throws IllegalStateException if {@code database} is missing, neither or both of
         *     {@code client} and {@code connectionString} are set, or {@code maxHeadBytes} does not
         *     fit in {@code maxDocumentBytes}
         * @throws IllegalArgumentException if the connection string or a name is invalid
         * @throws ConversationStoreException if the indexes cannot be created
         */
        public MongoConversationStore build() {
            int sources = (client != null ? 1 : 0) + (connectionString != null ? 1 : 0) + (clientSettings != null ? 1 : 0);
            if (sources != 1) {
                throw new IllegalStateException(
                        "exactly one of client, connectionString, clientSettings and database(MongoDatabase, MongoClient) is required");
            }
            if (database == null && databaseName == null) {
                throw new IllegalStateException("database is required");
            }
            if (databaseName != null) {
                checkDatabaseName(databaseName);
            }
            if (maxHeadBytes >= maxDocumentBytes - MongoAppender.HEAD_OVERHEAD_BYTES) {
                throw new IllegalStateException("maxHeadBytes (" + maxHeadBytes + ") must be below maxDocumentBytes ("
                        + maxDocumentBytes + ") minus " + MongoAppender.HEAD_OVERHEAD_BYTES + " bytes of head overhead");
            }
            if (client != null) {
                return new MongoConversationStore(this, client, false);
            }
            MongoClient created = clientSettings != null
                    ? MongoClients.create(clientSettings)
                    : MongoClients.create(new ConnectionString(connectionString));
            try {
                return new MongoConversationStore(this, created, true);
            } catch (RuntimeException e) {
                created.close();
                throw e;
            }
        }

        private static void checkDatabaseName(String name) {
            if (name.isEmpty() || name.length() > 63) {
                throw new IllegalArgumentException("database must be 1 to 63 characters, was " + name.length());
            }
            for (char c : "/\\. \"$\0".toCharArray()) {
                if (name.indexOf(c) >= 0) {
                    throw new IllegalArgumentException("database must not contain spaces or any of / \\ . \" $ NUL, was '"
                            + name.replace("\0", "\\0") + "'");
                }
            }
        }
    }
}
