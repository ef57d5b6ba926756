package io.github.conversationstore;

import io.github.conversationstore.History.Append;
import io.github.conversationstore.History.Deleted;
import io.github.conversationstore.History.Header;
import io.github.conversationstore.History.Kind;
import io.github.conversationstore.History.Op;
import io.github.conversationstore.History.Outcome;
import io.github.conversationstore.History.Read;
import io.github.conversationstore.History.Seen;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Judges a {@link History} against the store's guarantees, the way Jepsen's checkers judge
 * histories of acknowledged operations rather than final states.
 *
 * <p>An operation's effect takes place at one point between its invocation and its completion. A
 * session's lives are separated by erasures (deletes and expiries); where an erasure may have
 * taken effect between two points, what was true at the first need not hold at the second, and
 * the checker makes no claim across them. So an append concurrent with a delete may or may not
 * survive it, but never half of it, and never after a later erasure.
 */
final class HistoryChecker {

    /** The guarantees judged, numbered as in the issue. */
    enum Invariant {
        LOST("(i) acknowledged append lost"),
        DUPLICATED("(ii) message stored twice or append id applied twice"),
        BATCH("(iii) batch not atomic, contiguous and in order"),
        SEQUENCE("(iv) sequence numbers not dense or not stable"),
        RESULT("(v) AppendResult disagrees with what is stored"),
        PREFIX("(vi) read not prefix-consistent"),
        HEADER("(vii) header messageCount disagrees with the messages"),
        ERASURE("(viii) erased message seen again"),
        FAILURE("(ix) operation failed with an error a caller cannot act on"),
        PHANTOM("(x) message seen that no append may have written");

        final String description;

        Invariant(String description) {
            this.description = description;
        }
    }

    /** One broken guarantee, found at one operation. */
    record Violation(Invariant invariant, String session, Op op, String detail) {
        @Override
        public String toString() {
            return invariant.description + ", session " + session + ", at " + op.name() + ": " + detail;
        }
    }

    private final List<Violation> violations = new ArrayList<>();
    private final Set<String> reported = new HashSet<>();

    private HistoryChecker() {
    }

    /** Returns every violation of the history, in order of the operation where it shows. */
    static List<Violation> check(History history) {
        HistoryChecker checker = new HistoryChecker();
        List<Op> ops = history.ops();
        Map<String, List<Op>> bySession = new LinkedHashMap<>();
        for (Op op : ops) {
            if (op.unexpected()) {
                checker.report(Invariant.FAILURE, op.session(), op, op.name(), op.failure());
            }
            if (!op.session().equals("*")) {
                bySession.computeIfAbsent(op.session(), s -> new ArrayList<>()).add(op);
            }
        }
        bySession.forEach((session, sessionOps) ->
                checker.new SessionCheck(session, sessionOps, history.quiescentSince()).run());
        checker.violations.sort(Comparator.comparingLong(v -> v.op().invoked()));
        return checker.violations;
    }

    /** Reports once per invariant and subject (a batch, a text, an operation). */
    private void report(Invariant invariant, String session, Op op, String subject, String detail) {
        if (reported.add(invariant + "/" + session + "/" + subject)) {
            violations.add(new Violation(invariant, session, op, detail));
        }
    }

    /** A session's erasures, indexed to answer "may one have taken effect between a and b". */
    private static final class Erasures {
        private final List<Op> byCompletion;
        private final long[] completions;
        private final long[] minInvocationFrom;
        private final List<Op> successfulByInvocation;
        private final long[] invocations;
        private final long[] minCompletionFrom;

        Erasures(List<Op> ops) {
            byCompletion = ops.stream().filter(op -> op.kind().erases() && op.outcome() != Outcome.NOT_APPLIED)
                    .sorted(Comparator.comparingLong(Op::completed)).collect(Collectors.toList());
            completions = byCompletion.stream().mapToLong(Op::completed).toArray();
            minInvocationFrom = suffixMin(byCompletion.stream().mapToLong(Op::invoked).toArray());
            successfulByInvocation = byCompletion.stream().filter(Op::ok)
                    .sorted(Comparator.comparingLong(Op::invoked)).collect(Collectors.toList());
            invocations = successfulByInvocation.stream().mapToLong(Op::invoked).toArray();
            minCompletionFrom = suffixMin(successfulByInvocation.stream().mapToLong(Op::completed).toArray());
        }

        private static long[] suffixMin(long[] values) {
            long[] min = new long[values.length + 1];
            min[values.length] = Long.MAX_VALUE;
            for (int i = values.length - 1; i >= 0; i--) {
                min[i] = Math.min(values[i], min[i + 1]);
            }
            return min;
        }

        /** The index of the first value above {@code t}. */
        private static int firstAbove(long[] sorted, long t) {
            int i = Arrays.binarySearch(sorted, t);
            i = i < 0 ? -i - 1 : i;
            while (i < sorted.length && sorted[i] <= t) {
                i++;
            }
            return i;
        }

        /** Whether an erasure may have taken effect after logical time {@code a} and before {@code b}. */
        boolean between(long a, long b) {
            return minInvocationFrom[firstAbove(completions, a)] < b;
        }

        /** Whether an erasure other than {@code self} may have taken effect after {@code a} and before {@code b}. */
        boolean otherBetween(Op self, long a, long b) {
            return byCompletion.stream().anyMatch(e -> e != self && e.completed() > a && e.invoked() < b);
        }

        /** The earliest completion of a successful erasure invoked after {@code t}; MAX_VALUE if none. */
        long erasedAfter(long t) {
            return minCompletionFrom[firstAbove(invocations, t)];
        }

        /** The successful erasure invoked after {@code t} that completed first. */
        Op firstErasureAfter(long t) {
            long completed = erasedAfter(t);
            return successfulByInvocation.stream().filter(op -> op.invoked() > t && op.completed() == completed)
                    .findFirst().orElseThrow();
        }
    }

    /** All requests of one append id: the same messages, applied at most once per life of the session. */
    private static final class Batch {
        final String appendId;
        final List<String> texts;
        final List<Op> ops = new ArrayList<>();

        Batch(Append append) {
            this.appendId = append.appendId();
            this.texts = append.texts();
        }

        long lastCompleted() {
            return ops.stream().mapToLong(Op::completed).max().orElseThrow();
        }

        boolean mayHaveBeenAppliedBefore(long t) {
            return ops.stream().anyMatch(op -> op.mayHaveTakenEffectBefore(t));
        }

        List<Op> acknowledged() {
            return ops.stream().filter(Op::ok).collect(Collectors.toList());
        }
    }

    /** Where one read showed one message. */
    private record Observation(long sequence, Op read) {
    }

    private final class SessionCheck {
        private final String session;
        private final List<Op> ops;
        private final long quiescentSince;
        private final Erasures erasures;
        private final Map<String, Batch> batches = new LinkedHashMap<>();
        private final Map<String, Batch> batchOfText = new HashMap<>();
        private final Map<String, List<Observation>> observations = new HashMap<>();

        SessionCheck(String session, List<Op> ops, long quiescentSince) {
            this.session = session;
            this.ops = ops;
            this.quiescentSince = quiescentSince;
            this.erasures = new Erasures(ops);
            for (Op op : ops) {
                if (op.effect() instanceof Append a) {
                    Batch batch = batches.computeIfAbsent(a.appendId(), id -> new Batch(a));
                    batch.ops.add(op);
                    batch.texts.forEach(text -> batchOfText.put(text, batch));
                }
            }
        }

        void run() {
            batches.values().forEach(this::checkResults);
            ops.stream().filter(op -> op.ok() && op.effect() instanceof Deleted d && d.messageCount() == 0)
                    .forEach(this::checkDeletedSomething);
            for (Op op : ops) {
                if (op.ok() && op.effect() instanceof Read read) {
                    checkRead(op, read);
                }
            }
            batches.values().forEach(this::checkReportedPositions);
            observations.forEach(this::checkStability);
            observations.forEach(this::checkErasedStaysErased);
            checkQuiescentState();
        }

        private void report(Invariant invariant, Op op, String subject, String detail) {
            HistoryChecker.this.report(invariant, session, op, subject, detail);
        }

        /** (ii) and (v): what the store said about repeats of an append id. */
        private void checkResults(Batch batch) {
            for (Op op : batch.acknowledged()) {
                Boolean duplicate = ((Append) op.effect()).duplicate();
                if (Boolean.TRUE.equals(duplicate) && batch.ops.stream()
                        .noneMatch(other -> other != op && other.mayHaveTakenEffectBefore(op.completed()))) {
                    report(Invariant.RESULT, op, batch.appendId,
                            "reported duplicate, but no earlier request of append id " + batch.appendId + " may have applied it");
                }
                if (Boolean.FALSE.equals(duplicate)) {
                    batch.acknowledged().stream()
                            .filter(earlier -> earlier.completed() < op.invoked()
                                    && !erasures.between(earlier.invoked(), op.completed()))
                            .findFirst().ifPresent(earlier -> reportRepeat(batch, earlier, op));
                }
            }
        }

        /**
         * (viii): a delete that reports nothing deleted while acknowledged messages were there (no
         * other erasure may have taken them) did not erase them: a retry after the first attempt's
         * reply was lost finds no head and leaves the archive behind.
         */
        private void checkDeletedSomething(Op delete) {
            for (Batch batch : batches.values()) {
                for (Op ack : batch.acknowledged()) {
                    if (ack.completed() < delete.invoked() && !erasures.otherBetween(delete, ack.invoked(), delete.completed())) {
                        report(Invariant.ERASURE, delete, delete.name(), "reported 0 messages deleted, but "
                                + batch.texts.get(0) + " acknowledged by " + ack.name() + " was there");
                        return;
                    }
                }
            }
        }

        /** A repeat of an applied append id that the store did not report as a duplicate. */
        private void reportRepeat(Batch batch, Op earlier, Op repeat) {
            long before = ((Append) earlier.effect()).firstSequence();
            long now = ((Append) repeat.effect()).firstSequence();
            if (before == now) {
                report(Invariant.RESULT, repeat, batch.appendId, "repeat of append id " + batch.appendId + " applied by "
                        + earlier.name() + " reported duplicate=false (same sequence " + now + ")");
            } else {
                report(Invariant.DUPLICATED, repeat, batch.appendId, "append id " + batch.appendId + " applied again at "
                        + now + " (duplicate=false) although " + earlier.name() + " had applied it at " + before);
            }
        }

        private void checkRead(Op op, Read read) {
            List<Seen> seen = read.seen();
            Map<String, Long> sequenceOf = new HashMap<>();
            for (int i = 0; i < seen.size(); i++) {
                Seen m = seen.get(i);
                if (m.sequence() != seen.get(0).sequence() + i) {
                    report(Invariant.SEQUENCE, op, op.name(), "sequence numbers not dense: " + seen);
                }
                if (sequenceOf.put(m.text(), m.sequence()) != null) {
                    report(Invariant.DUPLICATED, op, m.text(), m.text() + " shown twice in one read");
                }
                checkSeenMayBeThere(op, m);
            }
            if (!seen.isEmpty() && !read.recent() && seen.get(0).sequence() != read.from()) {
                report(Invariant.SEQUENCE, op, op.name(), "asked from " + read.from() + ", got from " + seen.get(0).sequence());
            }
            if (!seen.isEmpty() && read.whole() && seen.get(0).sequence() != 0) {
                report(Invariant.PREFIX, op, op.name(), "fewer messages than asked for, but the first is "
                        + seen.get(0).sequence() + ", not 0: the messages before it are missing");
            }
            long low = seen.isEmpty() ? Math.max(read.from(), 0) : seen.get(0).sequence();
            long high = seen.isEmpty() ? low - 1 : seen.get(seen.size() - 1).sequence();
            checkBatchesAtomic(op, read, sequenceOf, low, high);
            checkAcknowledgedShown(op, read, sequenceOf, low, high);
        }

        /** (x) and (viii): a message shown was possibly written, and not erased for good before the read. */
        private void checkSeenMayBeThere(Op op, Seen m) {
            Batch batch = batchOfText.get(m.text());
            if (batch == null || !batch.mayHaveBeenAppliedBefore(op.completed())) {
                report(Invariant.PHANTOM, op, m.text(), m.text() + " at " + m.sequence() + " was never possibly written");
                return;
            }
            observations.computeIfAbsent(m.text(), t -> new ArrayList<>()).add(new Observation(m.sequence(), op));
            if (erasures.erasedAfter(batch.lastCompleted()) < op.invoked()) {
                Op erasure = erasures.firstErasureAfter(batch.lastCompleted());
                report(Invariant.ERASURE, op, m.text(), m.text() + " at " + m.sequence() + " was erased by "
                        + erasure.name() + " (" + erasure.kind() + ", invoked after every request of its append ended)");
            }
        }

        /** (iii): the messages of a batch shown by a read sit together, in order, and all of them where the read covers. */
        private void checkBatchesAtomic(Op op, Read read, Map<String, Long> sequenceOf, long low, long high) {
            Set<Batch> shown = sequenceOf.keySet().stream().map(batchOfText::get)
                    .filter(b -> b != null).collect(Collectors.toSet());
            for (Batch batch : shown) {
                long base = -1;
                for (int k = 0; k < batch.texts.size() && base < 0; k++) {
                    Long at = sequenceOf.get(batch.texts.get(k));
                    base = at == null ? -1 : at - k;
                }
                for (int k = 0; k < batch.texts.size(); k++) {
                    Long at = sequenceOf.get(batch.texts.get(k));
                    long expected = base + k;
                    if (at != null && at != expected) {
                        report(Invariant.BATCH, op, batch.appendId, "batch " + batch.texts + " not contiguous in order: "
                                + batch.texts.get(k) + " at " + at + ", expected " + expected);
                    } else if (at == null && expected >= low && (expected <= high || read.reachesEnd())) {
                        report(Invariant.BATCH, op, batch.appendId, "batch " + batch.texts + " partly shown: "
                                + batch.texts.get(k) + " missing at " + expected);
                    }
                }
            }
        }

        /**
         * (vi) and (i): every batch acknowledged before the read was invoked, with no erasure possible
         * since, is shown where the read covers its sequence numbers; a whole read after quiescence
         * shows every such batch, the original backend's too.
         */
        private void checkAcknowledgedShown(Op op, Read read, Map<String, Long> sequenceOf, long low, long high) {
            boolean finalRead = op.invoked() > quiescentSince && read.whole();
            long from = read.recent() ? (read.seen().size() < read.limit() ? 0 : low) : read.from();
            for (Batch batch : batches.values()) {
                for (Op ack : batch.acknowledged()) {
                    if (ack.completed() > op.invoked() || erasures.between(ack.invoked(), op.completed())) {
                        continue;
                    }
                    long first = ((Append) ack.effect()).firstSequence();
                    for (int k = 0; k < batch.texts.size(); k++) {
                        String text = batch.texts.get(k);
                        long at = first + k;
                        boolean covered = finalRead || first >= 0 && at >= from && (at <= high || read.reachesEnd());
                        if (covered && !sequenceOf.containsKey(text)) {
                            report(finalRead ? Invariant.LOST : Invariant.PREFIX, op, batch.appendId,
                                    text + (first >= 0 ? " (sequence " + at + ")" : "") + " acknowledged by "
                                            + ack.name() + " before the read, not shown"
                                            + (finalRead ? " by the final read" : ""));
                            break;
                        }
                    }
                }
            }
        }

        /** (v): a message is stored where the store said, unless an erasure may have come between. */
        private void checkReportedPositions(Batch batch) {
            for (Op ack : batch.acknowledged()) {
                long first = ((Append) ack.effect()).firstSequence();
                for (int k = 0; first >= 0 && k < batch.texts.size(); k++) {
                    for (Observation o : observations.getOrDefault(batch.texts.get(k), List.of())) {
                        if (o.sequence() != first + k && !erasures.between(Math.min(ack.invoked(), o.read().invoked()),
                                Math.max(ack.completed(), o.read().completed()))) {
                            Op later = o.read().completed() > ack.completed() ? o.read() : ack;
                            report(Invariant.RESULT, later, batch.texts.get(k), ack.name() + " reported "
                                    + batch.texts.get(k) + " at " + (first + k) + ", " + o.read().name() + " shows it at " + o.sequence());
                        }
                    }
                }
            }
        }

        /**
         * (viii): erasure is final. A message a read showed before a delete was invoked was applied
         * before it, so no read invoked after the delete completed shows it again: not the store's
         * retry of an attempt whose reply was lost, nor the caller's repeat of its append id. Only
         * an expiry (the retention TTL deletes heads, tombstones included) may make the store forget
         * the erased append ids; no claim is made across one.
         */
        private void checkErasedStaysErased(String text, List<Observation> seen) {
            for (Op delete : ops) {
                if (delete.kind() != Kind.DELETE || !delete.ok()) {
                    continue;
                }
                for (Observation before : seen) {
                    if (before.read().completed() >= delete.invoked()) {
                        continue;
                    }
                    seen.stream()
                            .filter(o -> o.read().invoked() > delete.completed()
                                    && !expiryBetween(before.read().invoked(), o.read().completed()))
                            .findFirst()
                            .ifPresent(again -> report(Invariant.ERASURE, again.read(), text, text + " at "
                                    + again.sequence() + " was shown by " + before.read().name() + " before "
                                    + delete.name() + " erased it, and again after"));
                }
            }
        }

        /** Whether an expiry may have taken effect after logical time {@code a} and before {@code b}. */
        private boolean expiryBetween(long a, long b) {
            return ops.stream().anyMatch(e -> e.kind() == Kind.EXPIRE && e.outcome() != Outcome.NOT_APPLIED
                    && e.completed() > a && e.invoked() < b);
        }

        /** (iv): a message keeps its sequence number within a life of the session. */
        private void checkStability(String text, List<Observation> seen) {
            seen.sort(Comparator.comparingLong(o -> o.read().invoked()));
            for (int i = 1; i < seen.size(); i++) {
                Observation a = seen.get(i - 1);
                Observation b = seen.get(i);
                if (a.sequence() != b.sequence() && !erasures.between(a.read().invoked(),
                        Math.max(a.read().completed(), b.read().completed()))) {
                    report(Invariant.SEQUENCE, b.read(), text, text + " moved from " + a.sequence() + " ("
                            + a.read().name() + ") to " + b.sequence() + " with no erasure between");
                }
            }
        }

        /** (vii) and (iv): after quiescence, headers count what reads show, and all reads agree. */
        private void checkQuiescentState() {
            List<Op> quiet = ops.stream().filter(op -> op.invoked() > quiescentSince && op.ok()).collect(Collectors.toList());
            Map<Long, String> textAt = new HashMap<>();
            Op reference = null;
            for (Op op : quiet) {
                if (op.effect() instanceof Read read && read.whole()) {
                    reference = op;
                    read.seen().forEach(m -> textAt.put(m.sequence(), m.text()));
                    break;
                }
            }
            if (reference == null) {
                return;
            }
            for (Op op : quiet) {
                if (op.effect() instanceof Header header && header.messageCount() != textAt.size()) {
                    report(Invariant.HEADER, op, op.name(), "messageCount " + header.messageCount() + ", "
                            + reference.name() + " shows " + textAt.size() + " messages");
                }
                if (op.effect() instanceof Read read) {
                    for (Seen m : read.seen()) {
                        if (!m.text().equals(textAt.get(m.sequence()))) {
                            report(Invariant.SEQUENCE, op, op.name(), "quiescent reads disagree at " + m.sequence() + ": "
                                    + m.text() + " here, " + textAt.get(m.sequence()) + " in " + reference.name());
                        }
                    }
                    long end = read.seen().isEmpty() ? Math.max(read.from(), 0) : read.seen().get(read.seen().size() - 1).sequence() + 1;
                    if (read.reachesEnd() && end < textAt.size() && !(read.seen().isEmpty() && read.from() > textAt.size())) {
                        report(Invariant.SEQUENCE, op, op.name(), "quiescent read ends at " + end + ", "
                                + reference.name() + " at " + textAt.size());
                    }
                }
            }
        }
    }
}
