package io.github.conversationstore;

import io.github.conversationstore.spi.WrappedKey;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.stream.Collectors;

/**
 * A {@link ConversationStore} in memory, with the same semantics and limits as
 * {@link MongoConversationStore}: for tests, demos and single-process apps that need no
 * persistence. Thread-safe; each session is guarded by its own lock.
 *
 * @since 0.1.0
 */
public final class InMemoryConversationStore extends StoreGate {
    private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Lease> leases = new ConcurrentHashMap<>();
    private final DraftStore.InMemory drafts = new DraftStore.InMemory();
    /**
     * The tombstones: per deleted session not yet written again, the append ids its dedup window
     * held (no content). A new conversation of the session starts its window with them, refused with
     * {@link AppendErasedException} until the window has passed.
     */
    private final ConcurrentHashMap<String, List<String>> tombstones = new ConcurrentHashMap<>();
    private final Clock clock;
    /** The key provider's calls, when encryption is on (see docs/ENCRYPTION.md); null otherwise. */
    private final DataKeys keys;

    private InMemoryConversationStore(Builder builder) {
        super(builder.limits, builder.observers(), builder.requireOwner);
        this.clock = builder.clock;
        this.keys = builder.keyProvider == null ? null : new DataKeys(builder.keyProvider);
    }

    /**
     * Creates a store with the default limits.
     *
     * @return a new, empty store
     */
    public static InMemoryConversationStore create() {
        return builder().build();
    }

    /**
     * Starts configuring a store.
     *
     * @return a builder with the default limits
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    AppendResult append(AppendRequest request, int[] attempts) {
        if (!request.isFenced()) {
            return write(request);
        }
        // the lease's entry stays locked while the messages are written: no takeover in between
        AppendResult[] result = new AppendResult[1];
        leases.compute(request.sessionId(), (id, lease) -> {
            if (lease == null || !lease.holder.equals(request.leaseHolder())) {
                throw LeaseLostException.refused(request, lease == null ? "no lease is held" : "another holder took the lease");
            }
            result[0] = write(request);
            return request.renewLease() == null ? lease
                    : new Lease(lease.holder, clock.instant().plus(request.renewLease()), lease.turnKey);
        });
        return result[0];
    }

    private AppendResult write(AppendRequest request) {
        AppendResult[] result = new AppendResult[1];
        sessions.compute(request.sessionId(), (id, session) -> {
            Instant now = clock.instant();
            // a new conversation life draws its data key first: a provider failure leaves nothing written
            Session target = session == null
                    ? new Session(request.language(), now, tombstones.getOrDefault(id, List.of()),
                            keys == null ? null : keys.create(id).stored())
                    : session;
            synchronized (target) {
                result[0] = target.append(request, now, limits.appendIdWindow());
            }
            if (request.owner() != null) {
                byOwner.computeIfAbsent(request.owner(), o -> new ConcurrentSkipListSet<>(UTF8)).add(id);
            }
            if (session == null) {
                tombstones.remove(id); // the new conversation's window holds the erased ids now
            }
            return target;
        });
        return result[0];
    }

    @Override
    List<StoredMessage> recent(String sessionId, int limit) {
        Session session = sessions.get(sessionId);
        if (session == null) {
            return List.of();
        }
        synchronized (session) {
            long size = session.count();
            return session.slice(Math.max(0, size - limit), size);
        }
    }

    @Override
    List<StoredMessage> page(String sessionId, long fromSequence, int limit) {
        Session session = sessions.get(sessionId);
        if (session == null) {
            return List.of();
        }
        synchronized (session) {
            long size = session.count();
            if (fromSequence >= size) {
                return List.of();
            }
            return session.slice(fromSequence, Math.min(size, fromSequence + limit));
        }
    }

    /** MongoDB orders strings by their UTF-8 bytes: so does this. */
    private static final Comparator<String> UTF8 =
            Comparator.comparing(id -> id.getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned);

    @Override
    List<String> list(String afterSessionId, int limit) {
        return sessionsAfter(afterSessionId, limit);
    }

    /** Each owner's session ids, in order: a listing reads its owner's ids only. */
    private final ConcurrentHashMap<Owner, NavigableSet<String>> byOwner = new ConcurrentHashMap<>();
    private static final NavigableSet<String> EMPTY = new ConcurrentSkipListSet<>(UTF8);

    @Override
    List<ConversationHeader> owned(Owner owner, String afterSessionId, int limit) {
        NavigableSet<String> ids = byOwner.getOrDefault(owner, EMPTY);
        List<ConversationHeader> page = new ArrayList<>(Math.min(limit, 1024));
        for (String id : afterSessionId == null ? ids : ids.tailSet(afterSessionId, false)) {
            header(id).filter(h -> owner.equals(h.owner())).ifPresent(page::add);
            if (page.size() == limit) {
                break;
            }
        }
        return List.copyOf(page);
    }

    /** The ids of sessions holding messages after {@code afterSessionId}. */
    private List<String> sessionsAfter(String afterSessionId, int limit) {
        return sessions.entrySet().stream()
                .filter(e -> afterSessionId == null || UTF8.compare(e.getKey(), afterSessionId) > 0)
                .filter(e -> {
                    synchronized (e.getValue()) {
                        return e.getValue().count() > 0;
                    }
                })
                .map(Map.Entry::getKey)
                .sorted(UTF8)
                .limit(limit)
                .collect(Collectors.toUnmodifiableList());
    }

    @Override
    Summary storeSummary(String sessionId, Summary summary, String lastMessageId) {
        Session session = sessions.get(sessionId);
        if (session == null) {
            throw new NoSuchElementException("session '" + sessionId + "' holds no messages to summarize");
        }
        synchronized (session) {
            List<Summary> all = session.allSummaries();
            for (Summary stored : all) {
                if (stored.fromSequence() == summary.fromSequence() && stored.toSequence() == summary.toSequence()) {
                    return stored;
                }
            }
            long newestEnd = all.isEmpty() ? 0 : all.get(all.size() - 1).toSequence();
            Summary.checkRange(sessionId, summary, session.count(), newestEnd);
            long last = summary.toSequence() - 1;
            Summary.checkEdge(sessionId, summary, lastMessageId,
                    session.slice(last, Math.min(session.count(), last + 2)));
            session.summaries.add(summary);
            session.summaries.sort(SUMMARY_ORDER);
            return summary;
        }
    }

    /** Summaries by where they end, the newest last. */
    static final Comparator<Summary> SUMMARY_ORDER =
            Comparator.comparingLong(Summary::toSequence).thenComparingLong(Summary::fromSequence);

    @Override
    List<Summary> readSummaries(String sessionId) {
        Session session = sessions.get(sessionId);
        if (session == null) {
            return List.of();
        }
        synchronized (session) {
            List<Summary> out = session.allSummaries();
            out.sort(Comparator.comparingLong(Summary::fromSequence).thenComparingLong(Summary::toSequence));
            return List.copyOf(out);
        }
    }

    @Override
    List<Summary> newestSummaries(String sessionId, int limit) {
        Session session = sessions.get(sessionId);
        if (session == null) {
            return List.of();
        }
        synchronized (session) {
            List<Summary> all = session.allSummaries();
            List<Summary> out = new ArrayList<>(Math.min(limit, all.size()));
            for (int i = all.size() - 1; i >= 0 && out.size() < limit; i--) {
                out.add(all.get(i));
            }
            return List.copyOf(out);
        }
    }

    @Override
    Optional<ConversationHeader> header(String sessionId) {
        Session session = sessions.get(sessionId);
        if (session == null) {
            return Optional.empty();
        }
        synchronized (session) {
            return Optional.of(session.header(sessionId));
        }
    }

    /** The direct forks of each session (of any of its lives), by session id. */
    private final ConcurrentHashMap<String, NavigableSet<String>> forks = new ConcurrentHashMap<>();

    @Override
    ConversationHeader forkSession(String sessionId, long atSequence, String newSessionId) {
        ConversationHeader[] out = new ConversationHeader[1];
        sessions.compute(newSessionId, (id, existing) -> {
            if (existing != null) {
                synchronized (existing) {
                    ForkOrigin origin = existing.origin;
                    if (origin != null && origin.sessionId().equals(sessionId) && origin.atSequence() == atSequence) {
                        out[0] = existing.header(id); // a repeat: the fork made before
                        return existing;
                    }
                }
                throw new IllegalArgumentException("newSessionId '" + id + "' names an existing conversation: a fork needs"
                        + " a session id of its own");
            }
            if (tombstones.containsKey(id)) {
                throw new IllegalArgumentException("newSessionId '" + id + "' names a deleted conversation: a fork needs"
                        + " a session id of its own");
            }
            Session parent = sessions.get(sessionId);
            if (parent == null) {
                throw new IllegalArgumentException("sessionId '" + sessionId + "' names no conversation (missing or deleted):"
                        + " nothing to fork");
            }
            Instant now = clock.instant();
            DataKey key = keys == null ? null : keys.create(id).stored();
            Session child;
            synchronized (parent) {
                if (parent.erased) {
                    throw new IllegalArgumentException("sessionId '" + sessionId + "' names no conversation (missing or deleted):"
                            + " nothing to fork");
                }
                long count = parent.count();
                if (atSequence > count) {
                    throw new IllegalArgumentException("atSequence " + atSequence + " is beyond the " + count
                            + " messages of session '" + sessionId + "'");
                }
                List<Segment> chain = parent.chainUpTo(atSequence);
                child = new Session(parent.language, now, List.of(), key, atSequence,
                        new ForkOrigin(sessionId, parent.life, atSequence), chain);
                child.owner = parent.owner;
                for (Segment segment : chain) {
                    synchronized (segment.source()) { // descendant before ancestor: the order every path takes
                        segment.source().refs.put(child.life, segment.to());
                    }
                }
            }
            if (child.owner != null) {
                byOwner.computeIfAbsent(child.owner, o -> new ConcurrentSkipListSet<>(UTF8)).add(id);
            }
            forks.computeIfAbsent(sessionId, p -> new ConcurrentSkipListSet<>(UTF8)).add(id);
            out[0] = child.header(id);
            return child;
        });
        return out[0];
    }

    @Override
    List<ConversationHeader> forksOf(String sessionId, String afterSessionId, int limit) {
        NavigableSet<String> ids = forks.getOrDefault(sessionId, EMPTY);
        List<ConversationHeader> page = new ArrayList<>(Math.min(limit, 1024));
        for (String id : afterSessionId == null ? ids : ids.tailSet(afterSessionId, false)) {
            header(id).filter(h -> h.forkedFrom() != null && h.forkedFrom().sessionId().equals(sessionId)).ifPresent(page::add);
            if (page.size() == limit) {
                break;
            }
        }
        return List.copyOf(page);
    }

    /**
     * Test seam: the text of every message the store still holds, in live conversations and in the
     * erased lives their forks reference: what a raw read of the storage would find.
     */
    java.util.Set<String> heldTexts() {
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (Session session : sessions.values()) {
            List<Session> holders = new ArrayList<>();
            synchronized (session) {
                holders.add(session);
                session.chain.forEach(segment -> holders.add(segment.source()));
            }
            for (Session holder : holders) {
                synchronized (holder) {
                    holder.messages.forEach(m -> ids.add(m.text()));
                }
            }
        }
        return ids;
    }

    @Override
    boolean acquire(String sessionId, String language, String holder, String turnKey, Duration duration) {
        Instant now = clock.instant();
        Lease taken = leases.compute(sessionId, (id, lease) ->
                lease == null || lease.holder.equals(holder) || !lease.expiresAt.isAfter(now)
                        || (turnKey != null && turnKey.equals(lease.turnKey))
                        ? new Lease(holder, now.plus(duration), turnKey) : lease);
        return taken.holder.equals(holder);
    }

    @Override
    boolean renew(String sessionId, String holder, Duration duration) {
        Instant now = clock.instant();
        Lease renewed = leases.computeIfPresent(sessionId, (id, lease) ->
                lease.holder.equals(holder) ? new Lease(holder, now.plus(duration), lease.turnKey) : lease);
        return renewed != null && renewed.holder.equals(holder);
    }

    @Override
    void release(String sessionId, String holder) {
        leases.computeIfPresent(sessionId, (id, lease) -> lease.holder.equals(holder) ? null : lease);
    }

    /** A session's lease; {@code turnKey} (may be null) lets a holder with the same key take it over. */
    private record Lease(String holder, Instant expiresAt, String turnKey) {}

    @Override
    DraftStore drafts() {
        return drafts;
    }

    @Override
    long delete(String sessionId) {
        leases.remove(sessionId);
        drafts.erase(sessionId);
        long[] deleted = new long[1];
        Session[] gone = new Session[1];
        sessions.computeIfPresent(sessionId, (id, removed) -> {
            synchronized (removed) {
                deleted[0] = removed.count();
                tombstones.put(id, removed.rememberedIds());
                if (removed.owner != null) {
                    byOwner.getOrDefault(removed.owner, EMPTY).remove(id);
                }
                // final for what only this conversation holds; what its forks share stays for them
                removed.erased = true;
                removed.trimToReferences();
            }
            gone[0] = removed;
            return null;
        });
        if (gone[0] != null) {
            // its references go: an erased ancestor keeps only what its remaining descendants read
            for (Segment segment : gone[0].chain) {
                synchronized (segment.source()) {
                    segment.source().refs.remove(gone[0].life);
                    if (segment.source().erased) {
                        segment.source().trimToReferences();
                    }
                }
            }
            if (gone[0].origin != null) {
                forks.getOrDefault(gone[0].origin.sessionId(), EMPTY).remove(sessionId);
            }
        }
        return deleted[0];
    }

    /**
     * Wraps every conversation's data key that is not wrapped under the key provider's current
     * key again under it, as {@link MongoConversationStore#rewrapDataKeys()} does.
     *
     * @return how many data keys were rewrapped
     * @throws IllegalStateException if the store was built without {@code encryption(KeyProvider)}
     * @throws ConversationStoreUnavailableException if the key provider failed, retryably
     * @throws EncryptionException if the key provider cannot unwrap a data key
     * @since 0.3
     */
    public long rewrapDataKeys() {
        if (keys == null) {
            throw new IllegalStateException("the store has no key provider: build it with encryption(KeyProvider)");
        }
        long rewrapped = 0;
        for (Map.Entry<String, Session> e : sessions.entrySet()) {
            Session session = e.getValue();
            synchronized (session) {
                WrappedKey next = keys.rewrap(e.getKey(), session.dataKey.wrapped());
                if (next != null) {
                    session.dataKey = new DataKey(session.dataKey.id(), session.dataKey.key(), next, false);
                    rewrapped++;
                }
            }
        }
        return rewrapped;
    }

    /** Test seam: the id of the key-encryption key the session's data key is wrapped under, if it has one. */
    Optional<String> dataKeyWrappedUnder(String sessionId) {
        Session session = sessions.get(sessionId);
        if (session == null) {
            return Optional.empty();
        }
        synchronized (session) {
            return session.dataKey == null ? Optional.empty() : Optional.of(session.dataKey.wrapped().keyId());
        }
    }

    /** Does nothing: the store holds no resources. */
    @Override
    public void close() {
        // nothing to release
    }

    /** Sequence numbers up to {@code to} (from where the previous segment ends) are {@code source}'s own messages. */
    private record Segment(Session source, long to) {}

    private static final class Session {
        /** This life's id: a session deleted and begun again is another life. */
        final String life = java.util.UUID.randomUUID().toString();
        /** The sequence number of {@code messages.get(0)}: where a fork's own messages begin, 0 otherwise. */
        final long base;
        /** Where a fork came from; null otherwise. */
        final ForkOrigin origin;
        /** Whose messages a fork's first {@code base} are, root first; empty for a conversation that is no fork. */
        final List<Segment> chain;
        /** The descendants reading this life's messages (by their life), and up to which sequence number. */
        final Map<String, Long> refs = new HashMap<>();
        /** Deleted: only what descendants still reference is kept. */
        boolean erased;
        final String language;
        final Instant createdAt;
        Instant updatedAt;
        final Map<String, String> attributes = new HashMap<>();
        /** Set by the first append naming an owner. */
        Owner owner;
        final List<Message> messages = new ArrayList<>();
        /** The last appends, oldest first, bounded by the dedup window. */
        final ArrayDeque<AppendEntry> recentAppends = new ArrayDeque<>();
        /** Every append, for requests deduplicated beyond the window. */
        final Map<String, AppendEntry> allAppends = new HashMap<>();
        /** The life's data key when encryption is on, dropped with the session on delete. */
        DataKey dataKey;
        /** The life's summaries ordered by toSequence (the newest last), dropped with the session on delete. */
        final List<Summary> summaries = new ArrayList<>();

        Session(String language, Instant createdAt, List<String> erasedIds, DataKey dataKey) {
            this(language, createdAt, erasedIds, dataKey, 0, null, List.of());
        }

        Session(String language, Instant createdAt, List<String> erasedIds, DataKey dataKey, long base, ForkOrigin origin,
                List<Segment> chain) {
            this.base = base;
            this.origin = origin;
            this.chain = List.copyOf(chain);
            this.dataKey = dataKey;
            this.language = language;
            this.createdAt = createdAt;
            this.updatedAt = createdAt;
            erasedIds.forEach(id -> recentAppends.addLast(new AppendEntry(id, ERASED, 0)));
        }

        /** The append ids the dedup window holds, the erased conversations' ones included, oldest first. */
        List<String> rememberedIds() {
            List<String> ids = new ArrayList<>(recentAppends.size());
            recentAppends.forEach(e -> ids.add(e.appendId));
            return ids;
        }

        AppendResult append(AppendRequest request, Instant now, int window) {
            AppendEntry repeated = null;
            for (Iterator<AppendEntry> it = recentAppends.descendingIterator(); it.hasNext() && repeated == null; ) {
                AppendEntry entry = it.next();
                if (entry.appendId.equals(request.appendId())) {
                    repeated = entry;
                }
            }
            if (repeated == null && request.dedupBeyondWindow()) {
                repeated = allAppends.get(request.appendId());
            }
            if (repeated != null && repeated.firstSequence == ERASED) {
                throw AppendErasedException.of(request);
            }
            if (request.owner() != null && owner != null && !owner.equals(request.owner())) {
                throw OwnerMismatchException.of(request);
            }
            if (repeated != null) {
                if (!sameContent(repeated, request.messages())) {
                    throw AppendConflictException.of(request, repeated.firstSequence);
                }
                return new AppendResult(repeated.appendId, repeated.firstSequence, repeated.count, false, true);
            }
            long first = count();
            if (request.expectedSequence() != null && request.expectedSequence() != first) {
                throw SequenceMismatchException.of(request, first);
            }
            if (request.owner() != null) {
                owner = request.owner();
            }
            messages.addAll(request.messages());
            attributes.putAll(request.headerAttributes());
            updatedAt = now;
            AppendEntry entry = new AppendEntry(request.appendId(), first, request.messages().size());
            recentAppends.addLast(entry);
            allAppends.putIfAbsent(request.appendId(), entry);
            while (recentAppends.size() > window) {
                recentAppends.removeFirst();
            }
            return new AppendResult(request.appendId(), first, request.messages().size(), first == 0 && origin == null, false);
        }

        private boolean sameContent(AppendEntry entry, List<Message> requested) {
            if (entry.count != requested.size()) {
                return false;
            }
            for (int i = 0; i < requested.size(); i++) {
                if (!MessageCodec.sameContent(messages.get((int) (entry.firstSequence - base) + i), requested.get(i))) {
                    return false;
                }
            }
            return true;
        }

        List<StoredMessage> slice(long from, long to) {
            List<StoredMessage> out = new ArrayList<>((int) (to - from));
            for (long i = from; i < to; i++) {
                out.add(new StoredMessage(i, at(i)));
            }
            return out;
        }

        /** How many messages the conversation holds, those it shares with its ancestors included. */
        long count() {
            return base + messages.size();
        }

        /** The message with sequence number {@code seq} (below {@link #count()}): its own, or an ancestor's. */
        Message at(long seq) {
            if (seq >= base) {
                return messages.get((int) (seq - base));
            }
            for (Segment segment : chain) {
                if (seq < segment.to()) {
                    Session source = segment.source();
                    synchronized (source) {
                        return source.messages.get((int) (seq - source.base));
                    }
                }
            }
            throw new IllegalStateException("no segment holds sequence number " + seq);
        }

        /** The segments a fork at {@code at} of this conversation reads: this one's, clipped, then its own. */
        List<Segment> chainUpTo(long at) {
            List<Segment> out = new ArrayList<>(chain.size() + 1);
            long from = 0;
            for (Segment segment : chain) {
                if (from >= at) {
                    break;
                }
                out.add(segment.to() <= at ? segment : new Segment(segment.source(), at));
                from = segment.to();
            }
            if (at > base) {
                out.add(new Segment(this, at));
            }
            return out;
        }

        /**
         * For an erased life: drops every own message and summary no descendant reads, and with
         * nothing referenced the data key too. Called holding this session's lock.
         */
        void trimToReferences() {
            long keep = 0;
            for (long to : refs.values()) {
                keep = Math.max(keep, to);
            }
            int own = (int) Math.max(0, Math.min(messages.size(), keep - base));
            messages.subList(own, messages.size()).clear();
            final long kept = keep;
            summaries.removeIf(s -> s.toSequence() > kept);
            recentAppends.clear();
            allAppends.clear();
            attributes.clear();
            if (own == 0) {
                dataKey = null;
            }
        }

        /** The summaries a read of this conversation sees, ordered by where they end: the shared range's, then its own. */
        List<Summary> allSummaries() {
            List<Summary> out = new ArrayList<>();
            for (Segment segment : chain) {
                Session source = segment.source();
                synchronized (source) {
                    for (Summary s : source.summaries) {
                        if (s.toSequence() <= segment.to() && !out.contains(s)) {
                            out.add(s);
                        }
                    }
                }
            }
            out.addAll(summaries);
            out.sort(SUMMARY_ORDER);
            return out;
        }

        ConversationHeader header(String sessionId) {
            return new ConversationHeader(sessionId, language, createdAt, updatedAt, count(), attributes, owner, origin);
        }
    }

    /** The {@code firstSequence} of an append id applied in an erased conversation. */
    private static final long ERASED = -1;

    private record AppendEntry(String appendId, long firstSequence, int count) {}

    /**
     * Configures an {@link InMemoryConversationStore}. Not thread-safe.
     *
     * @since 0.1.0
     */
    public static final class Builder extends StoreBuilder<Builder> {

        private Builder() {}

        @Override
        Builder self() {
            return this;
        }

        /**
         * Builds the store.
         *
         * @return a new, empty store
         */
        public InMemoryConversationStore build() {
            return new InMemoryConversationStore(this);
        }
    }
}
