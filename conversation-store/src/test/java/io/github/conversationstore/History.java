package io.github.conversationstore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * A recorded history of operations on conversation stores, as Jepsen records one: each operation
 * with its invocation and completion on one global logical clock, and its outcome. The
 * {@link HistoryChecker} judges it afterwards. Thread-safe.
 */
final class History {

    /** What an operation did. */
    enum Kind {
        /** {@code appendMessages}, with a caller's append id or a generated one. */
        APPEND,
        /** A caller's repeat of an earlier append with the same append id and messages. */
        RETRY,
        /** One append of a {@link TurnService} turn (the user's message or the reply). */
        TURN,
        /** The original backend's fixed handler: one upsert pushing a user and a bot message. */
        OLD_FIXED,
        /** The original backend's first version: find, then insert or push. */
        OLD_V1,
        /** {@code recentMessages}. */
        RECENT,
        /** One page of {@code readMessages}. */
        PAGE,
        /** {@code findConversation}. */
        HEADER,
        /** {@code deleteConversation}. */
        DELETE,
        /** What MongoDB's TTL monitor does: delete the head document with the raw driver. */
        EXPIRE,
        /** {@code removeOrphanedArchives}. */
        SWEEP,
        /** Take, renew or release a session's lease. */
        LEASE,
        /**
         * An append whose reply is lost after it was applied, with a read and a delete of its
         * session (recorded as their own operations) before the store's retry.
         */
        ERASE_RETRY;

        boolean erases() {
            return this == DELETE || this == EXPIRE;
        }
    }

    /** How an operation ended. */
    enum Outcome {
        /** It returned. */
        OK,
        /** It failed; what it wrote may or may not be stored. */
        UNKNOWN,
        /** It failed before writing anything. */
        NOT_APPLIED
    }

    /** What an operation wrote or read. */
    sealed interface Effect permits Append, Read, Header, Deleted {
    }

    /**
     * Messages appended in one atomic batch.
     *
     * @param appendId the idempotency key; repeats of one append share it (and the texts)
     * @param texts the texts of the batch's messages, in order, unique in the whole history
     * @param firstSequence the sequence number the store reported for the first message; -1 if none
     * @param duplicate whether the store reported a duplicate; null if it did not say
     */
    record Append(String appendId, List<String> texts, long firstSequence, Boolean duplicate) implements Effect {
        Append {
            texts = List.copyOf(texts);
        }

        Append failed() {
            return new Append(appendId, texts, -1, null);
        }
    }

    /**
     * Messages read in one call.
     *
     * @param from the first sequence number asked for; -1 for {@code recentMessages}
     * @param limit how many messages at most
     * @param seen what came back, in order
     */
    record Read(long from, int limit, List<Seen> seen) implements Effect {
        Read {
            seen = List.copyOf(seen);
        }

        boolean recent() {
            return from < 0;
        }

        /** Whether the read shows the end of the conversation. */
        boolean reachesEnd() {
            return recent() || seen.size() < limit;
        }

        /** Whether the read shows the whole conversation. */
        boolean whole() {
            return seen.size() < limit && (recent() || from == 0);
        }
    }

    /** One message as read: its sequence number and its (unique) text. */
    record Seen(long sequence, String text) {
    }

    /** A header as read; a missing conversation counts 0 messages. */
    record Header(long messageCount) implements Effect {
    }

    /** What {@code deleteConversation} reported: how many messages it deleted. */
    record Deleted(long messageCount) implements Effect {
    }

    /**
     * One operation.
     *
     * @param name unique, such as {@code w3-op117}
     * @param kind what it did
     * @param session the session it touched, {@code *} for all
     * @param store which store or client ran it
     * @param invoked the logical time before the call
     * @param completed the logical time after the call
     * @param outcome how it ended
     * @param failure the exception, if it failed
     * @param unexpected whether the failure is one a caller cannot act on (not retryable)
     * @param effect what it wrote or read, or null
     */
    record Op(String name, Kind kind, String session, String store, long invoked, long completed,
            Outcome outcome, String failure, boolean unexpected, Effect effect) {

        boolean ok() {
            return outcome == Outcome.OK;
        }

        /** Whether its effect may have taken place before logical time {@code t}. */
        boolean mayHaveTakenEffectBefore(long t) {
            return outcome != Outcome.NOT_APPLIED && invoked < t;
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder().append(name).append(' ').append(kind).append(" on ").append(store)
                    .append(" [").append(invoked).append("..").append(completed).append("] ");
            if (effect instanceof Append a) {
                s.append("id=").append(a.appendId()).append(' ').append(a.texts()).append(' ');
            } else if (effect instanceof Read r) {
                s.append(r.recent() ? "last " + r.limit() : "from " + r.from() + " limit " + r.limit()).append(' ');
            }
            s.append(outcome);
            if (failure != null) {
                s.append(unexpected ? " UNEXPECTED " : " ").append(failure);
            } else if (effect instanceof Append a) {
                s.append(" first=").append(a.firstSequence()).append(" duplicate=").append(a.duplicate());
            } else if (effect instanceof Read r) {
                s.append(' ').append(r.seen().stream().map(m -> m.sequence() + ":" + m.text())
                        .collect(Collectors.joining(" ", "[", "]")));
            } else if (effect instanceof Header h) {
                s.append(" messageCount=").append(h.messageCount());
            } else if (effect instanceof Deleted d) {
                s.append(" deleted=").append(d.messageCount());
            }
            return s.toString();
        }
    }

    private final AtomicLong clock = new AtomicLong();
    private final Queue<Op> ops = new ConcurrentLinkedQueue<>();
    private volatile long quiescentSince = Long.MAX_VALUE;

    /** Advances the logical clock. */
    long tick() {
        return clock.incrementAndGet();
    }

    void add(Op op) {
        ops.add(op);
    }

    /** Marks that writers have stopped and faults are off: later operations see a quiescent store. */
    void markQuiescent() {
        markQuiescent(tick());
    }

    void markQuiescent(long at) {
        quiescentSince = at;
    }

    long quiescentSince() {
        return quiescentSince;
    }

    /** The operations in order of invocation. */
    List<Op> ops() {
        List<Op> sorted = new ArrayList<>(ops);
        sorted.sort(Comparator.comparingLong(Op::invoked));
        return sorted;
    }

    /** The operations of one session (and those touching every session), in order of invocation. */
    List<Op> log(String session) {
        return ops().stream().filter(op -> op.session().equals(session) || op.session().equals("*"))
                .collect(Collectors.toList());
    }

    Map<Kind, Long> countByKind() {
        Map<Kind, Long> counts = new EnumMap<>(Kind.class);
        for (Op op : ops) {
            counts.merge(op.kind(), 1L, Long::sum);
        }
        return counts;
    }
}
