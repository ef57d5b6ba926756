package io.github.conversationstore;

import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.github.conversationstore.spi.KeyProvider;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

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
 * <h2>What each operation costs</h2>
 * <ul>
 *   <li>{@link #appendMessages(AppendRequest)}: one round trip when the append id is new and the
 *       head has room; a repeated append id costs a few more (find the stored messages, compare
 *       their content). A fenced request whose holder no longer holds the lease fails with
 *       {@link LeaseLostException}; an append id applied before with other messages fails with
 *       {@link AppendConflictException}.
 *   <li>{@link #recentMessages(String, int)}: one round trip when the head holds {@code limit}
 *       messages (the usual prompt window), two when older messages come from the archive.
 *   <li>{@link #readMessages(String, long, int)}: one round trip for the first page of a
 *       conversation that was never archived; otherwise two (counters, then head or archive), three
 *       when the page spans archive and head, and one more each time a concurrent move shifts the
 *       head under the read.
 *   <li>{@link #listConversationIds(String, int)}: one round trip (two for an original backend's
 *       document not yet adopted).
 *   <li>{@link #tryAcquireLease(String, String, String, String, Duration)}: one {@code update} with
 *       upsert on the head, whose filter matches a head whose lease is absent, expired, already
 *       {@code holder}'s or recorded with the same {@code turnKey}. Expiry is judged by the database
 *       server's time (this JVM's clock corrected by the server's, measured every 30 seconds), so
 *       processes whose clocks disagree still agree on it.
 *   <li>{@link #deleteConversation(String)}: turns the head into a tombstone (no message, header or
 *       lease; the fingerprints of the deleted conversation's append ids, so that a retry of one is
 *       refused with {@link AppendErasedException}), then deletes every archive chunk of every
 *       generation that is not the live head's. Calling it again completes an interrupted erasure
 *       (it returns 0 and removes every chunk left behind); a chunk that a concurrent move writes
 *       afterwards belongs to a dead generation, never read, deleted by the next call or
 *       {@link #removeOrphanedArchives()}. What forks of the conversation read (since 0.3) is kept
 *       until the last of them is deleted (see docs/ARCHITECTURE.md, "Branches").
 *   <li>{@link #fork(String, long, String)}: six to nine commands whatever the parent's length, one
 *       more per level of a fork of a fork (the new session's head, the parent's counters, the
 *       parent's shared head messages copied to its archive unless a chunk holds them, one
 *       {@code update} of the references, the parent read again, the fork's head inserted, the
 *       references other calls left for it deleted). Reading a fork costs as reading any
 *       conversation, plus one archive query for the ancestor segments a read reaches into, the
 *       first time this store reads them ({@link Builder#forkCacheBytes(long)}).
 * </ul>
 *
 * @since 0.1.0
 */
public final class MongoConversationStore extends StoreGate {
    private final MongoContext ctx;
    private final boolean ownsClient;
    private final MongoReader reader;
    private final MongoAppender appender;
    private final MongoLeases leases;
    private final MongoErasure erasure;
    private final MongoListing listing;
    private final MongoSummaries summaries;
    private final MongoDrafts drafts;
    private final MongoForks forks;

    private MongoConversationStore(MongoSettings settings, MongoClient client, MongoDatabase database,
            boolean ownsClient, long forkCacheBytes) {
        super(settings.limits(), settings.observers(), settings.requireOwner());
        this.ownsClient = ownsClient;
        this.ctx = new MongoContext(settings, client, database);
        this.forks = new MongoForks(ctx);
        MongoSharedReads sharedReads = new MongoSharedReads(ctx, forkCacheBytes);
        this.reader = new MongoReader(ctx, sharedReads);
        this.appender = new MongoAppender(ctx, new MongoArchiveMover(ctx), reader);
        this.leases = new MongoLeases(ctx);
        this.erasure = new MongoErasure(ctx, new MongoForkErasure(ctx, forks, sharedReads));
        this.listing = new MongoListing(ctx);
        this.summaries = new MongoSummaries(ctx);
        this.drafts = new MongoDrafts(ctx);
        if (settings.createIndexes()) {
            MongoIndexes.create(ctx, settings.expireAfterInactivity());
            try {
                ctx.time.now(); // measure the server's clock now rather than in the first operation
            } catch (ConversationStoreUnavailableException e) {
                // the first operation that needs the time measures it, or fails as retryable
            }
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

    @Override
    AppendResult append(AppendRequest request, int[] attempts) {
        return appender.append(request, attempts);
    }

    @Override
    List<StoredMessage> recent(String sessionId, int limit) {
        return ctx.call("read", sessionId, "read session '" + sessionId + "'",
                deadline -> ctx.keys.open(sessionId, reader.recent(sessionId, limit, deadline), deadline));
    }

    @Override
    List<StoredMessage> page(String sessionId, long fromSequence, int limit) {
        return ctx.call("read", sessionId, "read session '" + sessionId + "'",
                deadline -> ctx.keys.open(sessionId, reader.read(sessionId, fromSequence, limit, deadline), deadline));
    }

    @Override
    List<String> list(String afterSessionId, int limit) {
        return listing.list(afterSessionId, limit);
    }

    @Override
    List<ConversationHeader> owned(Owner owner, String afterSessionId, int limit) {
        return ctx.call("list", null, "list conversations of an owner",
                deadline -> reader.ownedHeaders(owner, afterSessionId, limit, deadline));
    }

    @Override
    List<String> erasureLeftovers(Owner owner, int limit) {
        return ctx.call("list", null, "list interrupted erasures of an owner", deadline -> erasure.leftovers(owner, limit, deadline));
    }

    @Override
    Summary storeSummary(String sessionId, Summary summary, String lastMessageId) {
        return summaries.write(sessionId, summary, lastMessageId, (from, limit) -> page(sessionId, from, limit));
    }

    @Override
    List<Summary> readSummaries(String sessionId) {
        return summaries.read(sessionId);
    }

    @Override
    List<Summary> newestSummaries(String sessionId, int limit) {
        return summaries.read(sessionId, limit);
    }

    @Override
    Optional<ConversationHeader> header(String sessionId) {
        return ctx.call("read", sessionId, "read session '" + sessionId + "'", deadline -> reader.header(sessionId, deadline));
    }

    @Override
    boolean acquire(String sessionId, String language, String holder, String turnKey, Duration duration) {
        return leases.tryAcquire(sessionId, language, holder, turnKey, duration);
    }

    @Override
    boolean renew(String sessionId, String holder, Duration duration) {
        return leases.renew(sessionId, holder, duration);
    }

    @Override
    void release(String sessionId, String holder) {
        leases.release(sessionId, holder);
    }

    @Override
    DraftStore drafts() {
        return drafts;
    }

    @Override
    ConversationHeader forkSession(String sessionId, long atSequence, String newSessionId) {
        return forks.fork(sessionId, atSequence, newSessionId);
    }

    @Override
    List<ConversationHeader> forksOf(String sessionId, String afterSessionId, int limit) {
        return listing.forksOf(sessionId, afterSessionId, limit);
    }

    @Override
    long delete(String sessionId) {
        ctx.keys.forget(sessionId);
        return erasure.delete(sessionId);
    }

    /**
     * Wraps every conversation's data key that is not wrapped under the key provider's
     * {@linkplain KeyProvider#currentKeyId() current key} again
     * under it, after a rotation of the key-encryption key, and then the copies of their ancestors'
     * keys that forks hold (since 0.3); messages are not rewritten (see
     * {@code docs/ENCRYPTION.md}). Pages through the heads 256 at a time, one unwrap, one wrap and
     * one update per data key; idempotent and resumable (a call interrupted by a failure is simply
     * run again).
     *
     * @return how many data keys were rewrapped
     * @throws IllegalStateException if the store was built without {@code encryption(KeyProvider)}
     * @throws ConversationStoreUnavailableException if the database or the key provider did not answer
     * @throws EncryptionException if the key provider cannot unwrap a data key (a key-encryption key
     *     it no longer holds)
     * @since 0.3
     */
    public long rewrapDataKeys() {
        return ctx.keys.rewrap();
    }

    /**
     * Deletes archive chunks and summaries whose session head is gone or belongs to a newer
     * generation: those of sessions removed by the retention TTL index (which deletes only heads),
     * and those a move (or a summary write) wrote while its session was being deleted. A chunk is
     * deleted only when the primary shows that its generation is dead, never because of a timestamp, so a session re-created and archived while
     * the sweep runs keeps every message. Run it periodically (for example hourly) when retention is
     * on; it reads the archive in pages of 1,000 chunk entries (one covered range read, one read of
     * the page's heads, one delete per dead generation), about one page per 1,000 chunks, and holds
     * one page in memory, however large the archive; its fan-out on a sharded cluster is in
     * {@code docs/SHARDING.md}. Summaries of dead lives are swept the same way, after the chunks,
     * in pages of their own.
     *
     * @return how many chunks and summaries were deleted
     * @throws ConversationStoreUnavailableException if the database did not answer
     */
    public long removeOrphanedArchives() {
        return observers.sweep(erasure::sweep);
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
     * <p>For example, a store on the application's own client:
     *
     * <!-- snippet file="io/github/conversationstore/examples/StoreExamplesTest.java" region="mongo-builder" -->
     * <pre>{@code
     * MongoConversationStore store = MongoConversationStore.builder()
     *         .client(mongoClient)                         // the application's: closing the store leaves it open
     *         .database("tutor")                           // required
     *         .collection("chats")                         // the heads; the archive: chats_archive
     *         .operationTimeout(Duration.ofSeconds(5))     // one deadline per call, retries included
     *         .expireAfterInactivity(Duration.ofDays(90))  // retention: a TTL index on the heads
     *         .listener(listener)                          // metrics, traces: see StoreListener
     *         .build();
     * }</pre>
     *
     * @since 0.1.0
     */
    public static final class Builder extends MongoConnectionBuilder<Builder> {
        private Duration operationTimeout = Duration.ofSeconds(10);
        private WriteConcern writeConcern = WriteConcern.MAJORITY;
        private int maxAttempts = 8;
        private boolean createIndexes = true;
        private long forkCacheBytes = MongoSharedReads.CACHE_BYTES;
        /** Test seam: the monotonic clock the server's time is extrapolated with. */
        private LongSupplier nanoTime = System::nanoTime;

        private Builder() {}

        @Override
        Builder self() {
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
            this.operationTimeout = Checks.atLeast("operationTimeout", value, Duration.ofMillis(1));
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
         * How many bytes of the archive chunks that forks share with their ancestors the store keeps
         * in memory (default 16 MiB, least recently used first out; 0 turns it off). A read of a
         * fork's shared range fetches them once; they never change while a fork reads them. Chunks
         * are kept as stored (sealed when encryption is on); those of a life erased by another
         * process stay in memory, never readable through the store, until evicted: turn the cache
         * off where no erased content may stay in a process's memory. See docs/ARCHITECTURE.md.
         *
         * @param bytes the bound, 0 or more
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is negative
         * @since 0.3
         */
        public Builder forkCacheBytes(long bytes) {
            this.forkCacheBytes = Checks.notNegative("forkCacheBytes", bytes);
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
            checkConnection();
            MongoSettings settings = new MongoSettings(collection,
                    archiveCollection == null ? collection + "_archive" : archiveCollection, writeConcern, limits,
                    assistantRoleName, maxAttempts, maxHeadMessages, maxHeadBytes, maxDocumentBytes, foreignWriters,
                    operationTimeout, expireAfterInactivity, createIndexes, requireOwner, clock, nanoTime, observers(),
                    keyProvider);
            return connect((client, database, owns) ->
                    new MongoConversationStore(settings, client, database, owns, forkCacheBytes));
        }
    }
}
