package io.github.conversationstore;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/** Where a store keeps drafts (see {@link Draft}); each store's own, behind {@link StoreGate}. */
interface DraftStore {
    /**
     * Starts a new attempt of the turn's draft for {@code holder}: the text empties, the attempt
     * number goes up by one (1 for a new draft). A stop asked for stays asked for when the same
     * holder starts again (the next attempt or step of the same run); a new holder (a resume of the
     * turn, whose earlier run failed or died) starts unstopped: the stop was the earlier run's.
     *
     * @return the draft as it now is
     */
    Draft start(String sessionId, String turnId, String holder);

    /** Stores the text of {@code attempt}, only while {@code holder} owns that attempt and the turn has not ended. */
    Draft.Write write(String sessionId, String turnId, String holder, int attempt, String text);

    Optional<Draft> read(String sessionId, String turnId);

    /** Replaces the text by the end marker pointing at the stored reply. */
    void end(String sessionId, String turnId, long replySequence);

    /** Marks a draft that has not ended stopped; false if there is none. */
    boolean stop(String sessionId, String turnId);

    /**
     * Marks stopped the session's drafts, other than {@code turnId}'s, that have not ended and were
     * started or written within {@code recent} (those of live turns; a failed turn's old draft
     * keeps its state for a later resume).
     */
    void stopOthers(String sessionId, String turnId, Duration recent);

    /**
     * Wakes a follower of a draft: a wait that ends early when the draft changed, where the store
     * can tell (a MongoDB change stream), else a plain wait.
     */
    interface Changes extends AutoCloseable {
        /** Plain waits. */
        Changes WAIT = new Changes() {
            @Override
            public boolean live() {
                return false;
            }

            @Override
            public void await(long nanos) {
                LockSupport.parkNanos(nanos);
            }

            @Override
            public void close() {}
        };

        /** Whether a change ends a wait early (then a follower need not poll often). */
        boolean live();

        /** Waits up to {@code nanos}, less when the draft changed. */
        void await(long nanos);

        @Override
        void close();
    }

    /** The changes of a turn's draft, for one follower; close them when it is done. By default plain waits. */
    default Changes changes(String sessionId, String turnId) {
        return Changes.WAIT;
    }

    /** The in-memory drafts of a store, erased with their session. */
    final class InMemory implements DraftStore {
        private record Entry(String holder, Draft draft, long touched) {
            Entry(String holder, Draft draft) {
                this(holder, draft, System.nanoTime());
            }
        }

        private final Map<String, Map<String, Entry>> bySession = new ConcurrentHashMap<>();

        private Map<String, Entry> of(String sessionId) {
            return bySession.computeIfAbsent(sessionId, s -> new ConcurrentHashMap<>());
        }

        @Override
        public Draft start(String sessionId, String turnId, String holder) {
            return of(sessionId).compute(turnId, (t, e) -> new Entry(holder, new Draft(turnId, e == null ? 1
                    : e.draft().attempt() + 1, "", e != null && e.holder().equals(holder) && e.draft().stopRequested(),
                    -1))).draft();
        }

        @Override
        public Draft.Write write(String sessionId, String turnId, String holder, int attempt, String text) {
            Draft.Write[] outcome = {Draft.Write.TAKEN_OVER};
            of(sessionId).computeIfPresent(turnId, (t, e) -> {
                Draft d = e.draft();
                if (!e.holder().equals(holder) || d.attempt() != attempt || d.ended()) {
                    return e;
                }
                outcome[0] = d.stopRequested() ? Draft.Write.STOP_REQUESTED : Draft.Write.WRITTEN;
                return new Entry(holder, new Draft(turnId, attempt, text, d.stopRequested(), -1));
            });
            return outcome[0];
        }

        @Override
        public Optional<Draft> read(String sessionId, String turnId) {
            Map<String, Entry> drafts = bySession.get(sessionId);
            Entry e = drafts == null ? null : drafts.get(turnId);
            return e == null ? Optional.empty() : Optional.of(e.draft());
        }

        @Override
        public void end(String sessionId, String turnId, long replySequence) {
            of(sessionId).computeIfPresent(turnId, (t, e) -> new Entry(e.holder(),
                    new Draft(turnId, e.draft().attempt(), "", e.draft().stopRequested(), replySequence)));
        }

        @Override
        public boolean stop(String sessionId, String turnId) {
            boolean[] marked = {false};
            of(sessionId).computeIfPresent(turnId, (t, e) -> {
                if (e.draft().ended()) {
                    return e;
                }
                marked[0] = true;
                Draft d = e.draft();
                return new Entry(e.holder(), new Draft(turnId, d.attempt(), d.text(), true, -1), e.touched());
            });
            return marked[0];
        }

        @Override
        public void stopOthers(String sessionId, String turnId, Duration recent) {
            long since = System.nanoTime() - recent.toNanos();
            of(sessionId).replaceAll((t, e) -> t.equals(turnId) || e.draft().ended() || e.touched() - since < 0 ? e
                    : new Entry(e.holder(), new Draft(t, e.draft().attempt(), e.draft().text(), true, -1), e.touched()));
        }

        /** Forgets a deleted session's drafts. */
        void erase(String sessionId) {
            bySession.remove(sessionId);
        }
    }
}
