package io.github.conversationstore;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** The leases of the in-memory store, one per session; thread-safe. */
final class InMemoryLeases {
    /** A session's lease; {@code turnKey} (may be null) lets a holder with the same key take it over. */
    private record Lease(String holder, Instant expiresAt, String turnKey) {}

    private final ConcurrentHashMap<String, Lease> leases = new ConcurrentHashMap<>();
    private final Clock clock;

    InMemoryLeases(Clock clock) {
        this.clock = clock;
    }

    /**
     * Writes a fenced append: the lease's entry stays locked while {@code write} runs, so no
     * takeover comes in between; renews the lease if the request asks.
     */
    AppendResult fenced(AppendRequest request, Supplier<AppendResult> write) {
        AppendResult[] result = new AppendResult[1];
        leases.compute(request.sessionId(), (id, lease) -> {
            if (lease == null || !lease.holder.equals(request.leaseHolder())) {
                throw LeaseLostException.refused(request, lease == null ? "no lease is held" : "another holder took the lease");
            }
            result[0] = write.get();
            return request.renewLease() == null ? lease
                    : new Lease(lease.holder, clock.instant().plus(request.renewLease()), lease.turnKey);
        });
        return result[0];
    }

    boolean acquire(String sessionId, String holder, String turnKey, Duration duration) {
        Instant now = clock.instant();
        Lease taken = leases.compute(sessionId, (id, lease) ->
                lease == null || lease.holder.equals(holder) || !lease.expiresAt.isAfter(now)
                        || (turnKey != null && turnKey.equals(lease.turnKey))
                        ? new Lease(holder, now.plus(duration), turnKey) : lease);
        return taken.holder.equals(holder);
    }

    boolean renew(String sessionId, String holder, Duration duration) {
        Instant now = clock.instant();
        Lease renewed = leases.computeIfPresent(sessionId, (id, lease) ->
                lease.holder.equals(holder) ? new Lease(holder, now.plus(duration), lease.turnKey) : lease);
        return renewed != null && renewed.holder.equals(holder);
    }

    void release(String sessionId, String holder) {
        leases.computeIfPresent(sessionId, (id, lease) -> lease.holder.equals(holder) ? null : lease);
    }

    /** Drops the session's lease, whoever holds it (the session is erased). */
    void remove(String sessionId) {
        leases.remove(sessionId);
    }
}
