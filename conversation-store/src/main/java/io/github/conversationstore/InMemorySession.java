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
import java.util.UUID;
import java.util.NavigableSet;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.stream.Collectors;

/**
 * One conversation life of the {@link InMemoryConversationStore}: its messages, summaries, append
 * ids, lease and the forks that read it; guarded by its own monitor.
 */
final class InMemorySession {
    /** Sequence numbers up to {@code to} (from where the previous segment ends) are {@code source}'s own messages. */
    record Segment(InMemorySession source, long to) {}

    /** The {@code firstSequence} of an append id applied in an erased conversation. */
    static final long ERASED = -1;

    record AppendEntry(String appendId, long firstSequence, int count) {}

    /** This life's id: a session deleted and begun again is another life. */
    final String life = UUID.randomUUID().toString();
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

    InMemorySession(String language, Instant createdAt, List<String> erasedIds, DataKey dataKey) {
        this(language, createdAt, erasedIds, dataKey, 0, null, List.of());
    }

    InMemorySession(String language, Instant createdAt, List<String> erasedIds, DataKey dataKey, long base, ForkOrigin origin,
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
        if (request.requireExisting() && first == 0 && origin == null) {
            throw ConversationNotFoundException.of(request);
        }
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
                InMemorySession source = segment.source();
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
            InMemorySession source = segment.source();
            synchronized (source) {
                for (Summary s : source.summaries) {
                    if (s.toSequence() <= segment.to() && !out.contains(s)) {
                        out.add(s);
                    }
                }
            }
        }
        out.addAll(summaries);
        out.sort(InMemoryConversationStore.SUMMARY_ORDER);
        return out;
    }

    ConversationHeader header(String sessionId) {
        return new ConversationHeader(sessionId, language, createdAt, updatedAt, count(), attributes, owner, origin);
    }
}
