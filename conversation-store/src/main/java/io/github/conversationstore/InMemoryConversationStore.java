package io.github.conversationstore;

import io.github.conversationstore.spi.WrappedKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * A {@link ConversationStore} in memory, with the same semantics and limits as
 * {@link MongoConversationStore}: for tests, demos and single-process apps that need no
 * persistence. Thread-safe; each session is guarded by its own lock.
 *
 * @since 0.1.0
 */
public final class InMemoryConversationStore extends StoreGate {
    private final ConcurrentHashMap<String, InMemorySession> sessions = new ConcurrentHashMap<>();
    private final InMemoryLeases leases;
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
        this.leases = new InMemoryLeases(builder.clock);
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
        return leases.fenced(request, () -> write(request));
    }

    private AppendResult write(AppendRequest request) {
        AppendResult[] result = new AppendResult[1];
        sessions.compute(request.sessionId(), (id, session) -> {
            if (session == null && request.requireExisting()) {
                if (tombstones.getOrDefault(id, List.of()).contains(request.appendId())) {
                    throw AppendErasedException.of(request);
                }
                throw ConversationNotFoundException.of(request); // never written, or deleted: not started anew
            }
            Instant now = clock.instant();
            // a new conversation life draws its data key first: a provider failure leaves nothing written
            InMemorySession target = session == null
                    ? new InMemorySession(request.language(), now, tombstones.getOrDefault(id, List.of()),
                            keys == null ? null : keys.create(id).stored())
                    : session;
            synchronized (target) {
                result[0] = target.append(request, now, limits.appendIdWindow());
            }
            if (request.owner() != null) {
                byOwner.add(request.owner(), id);
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
        InMemorySession session = sessions.get(sessionId);
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
        InMemorySession session = sessions.get(sessionId);
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

    @Override
    List<String> list(String afterSessionId, int limit) {
        return sessionsAfter(afterSessionId, limit);
    }

    /** Each owner's session ids, in order: a listing reads its owner's ids only. */
    private final InMemoryIndex<Owner> byOwner = new InMemoryIndex<>();

    @Override
    List<ConversationHeader> owned(Owner owner, String afterSessionId, int limit) {
        return byOwner.page(owner, afterSessionId, limit, this::header, h -> owner.equals(h.owner()));
    }

    /** The ids of sessions holding messages after {@code afterSessionId}. */
    private List<String> sessionsAfter(String afterSessionId, int limit) {
        return sessions.entrySet().stream()
                .filter(e -> afterSessionId == null || InMemoryIndex.UTF8.compare(e.getKey(), afterSessionId) > 0)
                .filter(e -> {
                    synchronized (e.getValue()) {
                        return e.getValue().count() > 0;
                    }
                })
                .map(Map.Entry::getKey)
                .sorted(InMemoryIndex.UTF8)
                .limit(limit)
                .collect(Collectors.toUnmodifiableList());
    }

    @Override
    Summary storeSummary(String sessionId, Summary summary, String lastMessageId) {
        InMemorySession session = sessions.get(sessionId);
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
        InMemorySession session = sessions.get(sessionId);
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
        InMemorySession session = sessions.get(sessionId);
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
        InMemorySession session = sessions.get(sessionId);
        if (session == null) {
            return Optional.empty();
        }
        synchronized (session) {
            return Optional.of(session.header(sessionId));
        }
    }

    /** The direct forks of each session (of any of its lives), by session id. */
    private final InMemoryIndex<String> forks = new InMemoryIndex<>();

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
            InMemorySession parent = sessions.get(sessionId);
            if (parent == null) {
                throw new IllegalArgumentException("sessionId '" + sessionId + "' names no conversation (missing or deleted):"
                        + " nothing to fork");
            }
            Instant now = clock.instant();
            DataKey key = keys == null ? null : keys.create(id).stored();
            InMemorySession child;
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
                List<InMemorySession.Segment> chain = parent.chainUpTo(atSequence);
                child = new InMemorySession(parent.language, now, List.of(), key, atSequence,
                        new ForkOrigin(sessionId, parent.life, atSequence), chain);
                child.owner = parent.owner;
                for (InMemorySession.Segment segment : chain) {
                    synchronized (segment.source()) { // descendant before ancestor: the order every path takes
                        segment.source().refs.put(child.life, segment.to());
                    }
                }
            }
            if (child.owner != null) {
                byOwner.add(child.owner, id);
            }
            forks.add(sessionId, id);
            out[0] = child.header(id);
            return child;
        });
        return out[0];
    }

    @Override
    List<ConversationHeader> forksOf(String sessionId, String afterSessionId, int limit) {
        return forks.page(sessionId, afterSessionId, limit, this::header,
                h -> h.forkedFrom() != null && h.forkedFrom().sessionId().equals(sessionId));
    }

    /**
     * Test seam: the text of every message the store still holds, in live conversations and in the
     * erased lives their forks reference: what a raw read of the storage would find.
     */
    Set<String> heldTexts() {
        Set<String> ids = new HashSet<>();
        for (InMemorySession session : sessions.values()) {
            List<InMemorySession> holders = new ArrayList<>();
            synchronized (session) {
                holders.add(session);
                session.chain.forEach(segment -> holders.add(segment.source()));
            }
            for (InMemorySession holder : holders) {
                synchronized (holder) {
                    holder.messages.forEach(m -> ids.add(m.text()));
                }
            }
        }
        return ids;
    }

    @Override
    boolean acquire(String sessionId, String language, String holder, String turnKey, Duration duration) {
        return leases.acquire(sessionId, holder, turnKey, duration);
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
    long delete(String sessionId) {
        leases.remove(sessionId);
        drafts.erase(sessionId);
        long[] deleted = new long[1];
        InMemorySession[] gone = new InMemorySession[1];
        sessions.computeIfPresent(sessionId, (id, removed) -> {
            synchronized (removed) {
                deleted[0] = removed.count();
                tombstones.put(id, removed.rememberedIds());
                if (removed.owner != null) {
                    byOwner.remove(removed.owner, id);
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
            for (InMemorySession.Segment segment : gone[0].chain) {
                synchronized (segment.source()) {
                    segment.source().refs.remove(gone[0].life);
                    if (segment.source().erased) {
                        segment.source().trimToReferences();
                    }
                }
            }
            if (gone[0].origin != null) {
                forks.remove(gone[0].origin.sessionId(), sessionId);
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
        for (Map.Entry<String, InMemorySession> e : sessions.entrySet()) {
            InMemorySession session = e.getValue();
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
        InMemorySession session = sessions.get(sessionId);
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
