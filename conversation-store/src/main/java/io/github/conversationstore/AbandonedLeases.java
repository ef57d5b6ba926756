package io.github.conversationstore;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The leases this turn service's failed turns could not give back (the store did not answer), by
 * session and turn id. Their holders are known dead: the turn that held each one has returned. A
 * resume of the same turn id in this service takes the holder over, so it holds the lease again at
 * once instead of waiting for the expiry; any other turn waits for the expiry as before. Bounded:
 * past {@link #MAX} entries the oldest is forgotten (that turn then waits for the expiry).
 */
final class AbandonedLeases {
    static final int MAX = 4096;

    private final Map<String, String> holders = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > MAX;
        }
    };

    /** The holder a new run of this turn uses: the abandoned one of the same turn, or a new one. */
    synchronized String holderFor(TurnRequest turn) {
        String abandoned = holders.remove(key(turn));
        return abandoned != null ? abandoned : UUID.randomUUID().toString();
    }

    /** Records that the run of this turn under {@code holder} returned without giving its lease back. */
    synchronized void abandoned(TurnRequest turn, String holder) {
        holders.put(key(turn), holder);
    }

    synchronized int size() {
        return holders.size();
    }

    private static String key(TurnRequest turn) {
        // a session id never holds U+0000 (refused when checked)
        return turn.sessionId() + '\u0000' + turn.turnId();
    }
}
