package io.github.conversationstore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The public face both stores share: every public operation checks its arguments and the store's
 * limits here, is observed here, and then reaches the store's own hook. So the in-memory store and
 * the MongoDB store cannot disagree on a rule: what is refused, with which message, and what a
 * listener hears. Package-private: its methods appear on each store.
 *
 * <p>The hooks get arguments already checked (a language tag normalized) and run inside the
 * observation; they do what only their store can: storing, reading, leasing, erasing.
 */
abstract class StoreGate implements ConversationStore {
    /** How often {@link #eraseOwner(Owner)} erases one conversation before it gives up on a writer that revives it. */
    private static final int MAX_ERASURES_PER_CONVERSATION = 3;

    final Limits limits;
    final Observers observers;
    private final boolean requireOwner;

    StoreGate(Limits limits, Observers observers, boolean requireOwner) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.observers = Objects.requireNonNull(observers, "observers");
        this.requireOwner = requireOwner;
    }

    /** Appends a checked request; sets {@code attempts[0]} to the attempts it took. */
    abstract AppendResult append(AppendRequest request, int[] attempts);

    /** The last {@code limit} messages of a session, oldest first. */
    abstract List<StoredMessage> recent(String sessionId, int limit);

    /** A page of a session's messages from a sequence number. */
    abstract List<StoredMessage> page(String sessionId, long fromSequence, int limit);

    /** The ids of sessions holding messages, after {@code afterSessionId} (null: from the first). */
    abstract List<String> list(String afterSessionId, int limit);

    /** One owner's conversations holding messages, after {@code afterSessionId} (null: from the first). */
    abstract List<ConversationHeader> owned(Owner owner, String afterSessionId, int limit);

    /**
     * Sessions of {@code owner} whose erasure was interrupted (their chunks may remain); a store
     * that erases in one atomic step has none.
     */
    List<String> erasureLeftovers(Owner owner, int limit) {
        return List.of();
    }

    /**
     * Stores a checked summary unless its range is stored; returns the one stored. With a
     * {@code lastMessageId}, only if the message at {@code toSequence - 1} of the life the summary
     * is stored in has that id (else {@link java.util.NoSuchElementException}, nothing stored): the
     * summarized messages are that life's, not an erased one's.
     */
    abstract Summary storeSummary(String sessionId, Summary summary, String lastMessageId);

    /** The summaries of the session's current life, ordered by range. */
    abstract List<Summary> readSummaries(String sessionId);

    /**
     * The {@code limit} (positive) summaries of the session's current life that end last, newest
     * first: what a window or a compaction needs, read at a cost that does not grow with the
     * number of summaries.
     */
    abstract List<Summary> newestSummaries(String sessionId, int limit);

    /** The summaries of {@code store}'s current life of the session, newest first, up to {@code limit}. */
    static List<Summary> newest(ConversationStore store, String sessionId, int limit) {
        if (store instanceof StoreGate gate) {
            Checks.sessionId(sessionId);
            return gate.observers.read(sessionId, "summaries", () -> gate.newestSummaries(sessionId, limit), List::size);
        }
        List<Summary> all = new ArrayList<>(store.summaries(sessionId));
        all.sort(InMemoryConversationStore.SUMMARY_ORDER.reversed());
        return List.copyOf(all.subList(0, Math.min(limit, all.size())));
    }

    /** A session's header, if it holds messages. */
    abstract Optional<ConversationHeader> header(String sessionId);

    /** Takes the lease with checked arguments ({@code language} normalized, {@code turnKey} may be null). */
    abstract boolean acquire(String sessionId, String language, String holder, String turnKey, Duration duration);

    abstract boolean renew(String sessionId, String holder, Duration duration);

    abstract void release(String sessionId, String holder);

    /** Erases a session; returns how many messages it deleted. */
    abstract long delete(String sessionId);

    /**
     * Forks checked arguments ({@code newSessionId} differs from {@code sessionId},
     * {@code atSequence} is not negative); returns the fork's header.
     */
    abstract ConversationHeader forkSession(String sessionId, long atSequence, String newSessionId);

    /** The headers of the live direct forks of a session, after {@code afterSessionId} (null: from the first). */
    abstract List<ConversationHeader> forksOf(String sessionId, String afterSessionId, int limit);

    /** The store's drafts of streamed replies (used by the turn service). */
    abstract DraftStore drafts();

    /** The drafts of {@code store} if it is one of this library's stores, else null (it keeps none). */
    static DraftStore draftsOf(ConversationStore store) {
        return store instanceof StoreGate gate ? gate.drafts() : null;
    }

    @Override
    public final AppendResult appendMessages(AppendRequest request) {
        Objects.requireNonNull(request, "request");
        if (requireOwner && request.owner() == null) {
            throw new IllegalArgumentException("owner is required: this store requires every append to name an owner"
                    + " (requireOwner), append " + request.appendId() + " to session '" + request.sessionId() + "' names none");
        }
        limits.check(request);
        return observers.append(request, attempts -> append(request, attempts));
    }

    @Override
    public final List<StoredMessage> recentMessages(String sessionId, int limit) {
        Checks.sessionId(sessionId);
        Limits.readLimit(limit);
        return observers.read(sessionId, "recent", () -> recent(sessionId, limit), List::size);
    }

    @Override
    public final List<StoredMessage> readMessages(String sessionId, long fromSequence, int limit) {
        Checks.sessionId(sessionId);
        Checks.notNegative("fromSequence", fromSequence);
        Limits.readLimit(limit);
        return observers.read(sessionId, "page", () -> page(sessionId, fromSequence, limit), List::size);
    }

    @Override
    public final List<String> listConversationIds(String afterSessionId, int limit) {
        Limits.readLimit(limit);
        return list(afterSessionId, limit);
    }

    @Override
    public final List<ConversationHeader> listConversations(Owner owner, String afterSessionId, int limit) {
        Objects.requireNonNull(owner, "owner");
        Limits.readLimit(limit);
        return owned(owner, afterSessionId, limit);
    }

    @Override
    public final OwnerErasure eraseOwner(Owner owner) {
        Objects.requireNonNull(owner, "owner");
        Map<String, Integer> erasures = new HashMap<>();
        long conversations = 0;
        long messages = 0;
        for (List<ConversationHeader> page; !(page = owned(owner, null, ERASE_OWNER_BATCH)).isEmpty(); ) {
            for (ConversationHeader header : page) {
                if (erasures.merge(header.sessionId(), 1, Integer::sum) > MAX_ERASURES_PER_CONVERSATION) {
                    throw new ConcurrentAppendException("erasing " + owner + ": session '" + header.sessionId() + "' was written to again after "
                            + MAX_ERASURES_PER_CONVERSATION + " erasures; stop the owner's sessions and call eraseOwner again", null);
                }
                messages += deleteConversation(header.sessionId());
                conversations++;
            }
        }
        for (List<String> left; !(left = erasureLeftovers(owner, ERASE_OWNER_BATCH)).isEmpty(); ) {
            for (String sessionId : left) {
                if (erasures.merge(sessionId, 1, Integer::sum) > MAX_ERASURES_PER_CONVERSATION + 1) {
                    throw new ConversationStoreUnavailableException("erasing " + owner + ": the archive of session '" + sessionId
                            + "' could not be removed; call eraseOwner again", null);
                }
                deleteConversation(sessionId); // completes the interrupted erasure
            }
        }
        return new OwnerErasure(owner, conversations, messages);
    }

    @Override
    public final Summary writeSummary(String sessionId, Summary summary) {
        Checks.sessionId(sessionId);
        Objects.requireNonNull(summary, "summary");
        return storeSummary(sessionId, summary, null);
    }

    /**
     * {@link #writeSummary}, on the condition that the range's last message of the current life is
     * still the one summarized ({@code lastMessageId}): for compaction, whose summarizer may run
     * while the conversation is deleted and begun again.
     */
    final Summary writeSummary(String sessionId, Summary summary, String lastMessageId) {
        Checks.sessionId(sessionId);
        Objects.requireNonNull(summary, "summary");
        Objects.requireNonNull(lastMessageId, "lastMessageId");
        return storeSummary(sessionId, summary, lastMessageId);
    }

    @Override
    public final List<Summary> summaries(String sessionId) {
        Checks.sessionId(sessionId);
        return observers.read(sessionId, "summaries", () -> readSummaries(sessionId), List::size);
    }

    @Override
    public final Optional<ConversationHeader> findConversation(String sessionId) {
        Checks.sessionId(sessionId);
        return observers.read(sessionId, "header", () -> header(sessionId), h -> h.isPresent() ? 1 : 0);
    }

    @Override
    public final boolean tryAcquireLease(String sessionId, String language, String holder, Duration duration) {
        return tryAcquireLease(sessionId, language, holder, null, duration);
    }

    @Override
    public final boolean tryAcquireLease(String sessionId, String language, String holder, String turnKey,
            Duration duration) {
        Checks.sessionId(sessionId);
        String tag = Checks.language(language);
        Checks.identifier("holder", holder, Checks.MAX_ID_LENGTH);
        if (turnKey != null) {
            Checks.identifier("turnKey", turnKey, Checks.MAX_ID_LENGTH);
        }
        Checks.leaseDuration(duration);
        return acquire(sessionId, tag, holder, turnKey, duration);
    }

    @Override
    public final boolean renewLease(String sessionId, String holder, Duration duration) {
        Checks.sessionId(sessionId);
        Checks.identifier("holder", holder, Checks.MAX_ID_LENGTH);
        Checks.leaseDuration(duration);
        return renew(sessionId, holder, duration);
    }

    @Override
    public final void releaseLease(String sessionId, String holder) {
        Checks.sessionId(sessionId);
        Checks.identifier("holder", holder, Checks.MAX_ID_LENGTH);
        release(sessionId, holder);
    }

    @Override
    public final ConversationHeader fork(String sessionId, long atSequence, String newSessionId) {
        Checks.sessionId(sessionId);
        Objects.requireNonNull(newSessionId, "newSessionId");
        Checks.identifier("newSessionId", newSessionId, MAX_SESSION_ID_LENGTH);
        if (atSequence < 0) {
            throw new IllegalArgumentException("atSequence must not be negative, was " + atSequence);
        }
        if (newSessionId.equals(sessionId)) {
            throw new IllegalArgumentException("newSessionId must differ from sessionId: a conversation cannot be forked"
                    + " into itself ('" + sessionId + "')");
        }
        return observers.read(sessionId, "fork", () -> forkSession(sessionId, atSequence, newSessionId), h -> 1);
    }

    @Override
    public final List<ConversationHeader> listForks(String sessionId, String afterSessionId, int limit) {
        Checks.sessionId(sessionId);
        Limits.readLimit(limit);
        return observers.read(sessionId, "forks", () -> forksOf(sessionId, afterSessionId, limit), List::size);
    }

    @Override
    public final long deleteConversation(String sessionId) {
        Checks.sessionId(sessionId);
        return observers.erase(sessionId, () -> delete(sessionId));
    }
}
