package io.github.conversationstore;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.TokenUsage;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * Runs conversation turns: store the user's message, ask a {@link ReplyProvider} for the reply,
 * store the reply.
 *
 * <p>A turn, under the session's lease (see {@link ConversationStore#tryAcquireLease}):
 * <ol>
 *   <li>take the session's lease, waiting up to the busy timeout: turns of one session run one at
 *       a time, across processes too, so every reply sees every earlier message;</li>
 *   <li>append the user's message under the append id {@code turnId + ":user"}: stored once, however
 *       often the turn is retried, and stored before the provider is called;</li>
 *   <li>if a previous call with this turn id already stored the reply, return it;</li>
 *   <li>read the window (the last messages before the user's, within a message count and a
 *       character budget) and call the provider with a timeout, retrying failures it marks
 *       retryable with exponential backoff, renewing the lease before each attempt;</li>
 *   <li>append the reply under the append id {@code turnId + ":reply"}: stored once;</li>
 *   <li>both appends are fenced by the lease ({@link AppendRequest.Builder#leaseHolder(String)}): a
 *       turn that lost its lease, however late its write arrives, is refused with
 *       {@link LeaseLostException} instead of writing after a later turn;</li>
 *   <li>release the lease.</li>
 * </ol>
 * When the provider finally fails, {@link ReplyFailedException} is thrown, the user's message stays
 * stored, and calling {@link #respond(TurnRequest)} again with the same turn id completes the turn.
 *
 * <p>Thread-safe. Close it to stop the threads that run provider calls.
 *
 * @since 0.1.0
 */
public final class TurnService implements AutoCloseable {
    private static final String USER_SUFFIX = ":user";
    private static final String REPLY_SUFFIX = ":reply";
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final ConversationStore store;
    private final ReplyProvider provider;
    private final Duration replyTimeout;
    private final int maxProviderAttempts;
    private final Duration retryBackoff;
    private final int windowMessages;
    private final int windowChars;
    private final Duration leaseDuration;
    private final Duration busyTimeout;
    private final String mode;
    private final Clock clock;
    private final ExecutorService calls = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "turn-service-provider-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    private TurnService(Builder b, ReplyProvider provider, Duration leaseDuration) {
        this.store = b.store;
        this.provider = provider;
        this.replyTimeout = b.replyTimeout;
        this.maxProviderAttempts = b.maxProviderAttempts;
        this.retryBackoff = b.retryBackoff;
        this.windowMessages = b.windowMessages;
        this.windowChars = b.windowChars;
        this.leaseDuration = leaseDuration;
        this.busyTimeout = b.busyTimeout;
        this.mode = b.mode;
        this.clock = b.clock;
    }

    /**
     * Starts configuring a turn service on this store.
     *
     * @param store where turns are stored
     * @return a builder; a provider is required
     */
    public static Builder builder(ConversationStore store) {
        return new Builder(store);
    }

    /**
     * Runs a turn with a new random turn id.
     *
     * @param sessionId the conversation's key
     * @param language the conversation's language (BCP 47)
     * @param userText the user's message
     * @return the stored user message and reply
     * @throws IllegalArgumentException if an argument is invalid
     * @throws ConversationBusyException if another turn of the session kept its lease too long
     * @throws ReplyFailedException if the provider gave no usable reply; retry with its turn id
     * @throws ConversationStoreException if the store failed
     */
    public TurnResult respond(String sessionId, String language, String userText) {
        return respond(TurnRequest.of(sessionId, language, userText));
    }

    /**
     * Runs a turn, or completes or replays the turn with this id.
     *
     * @param sessionId the conversation's key
     * @param language the conversation's language (BCP 47)
     * @param userText the user's message
     * @param turnId the turn's idempotency key
     * @return the stored user message and reply
     * @throws IllegalArgumentException if an argument is invalid
     * @throws ConversationBusyException if another turn of the session kept its lease too long
     * @throws ReplyFailedException if the provider gave no usable reply; retry with the same turn id
     * @throws ConversationStoreException if the store failed
     */
    public TurnResult respond(String sessionId, String language, String userText, String turnId) {
        return respond(new TurnRequest(sessionId, language, userText, turnId));
    }

    /**
     * Runs a turn, or completes or replays the turn with the request's id.
     *
     * @param turn the turn
     * @return the stored user message and reply
     * @throws ConversationBusyException if another turn of the session kept its lease too long
     * @throws ReplyFailedException if the provider gave no usable reply; retry with the same turn id
     * @throws ConversationStoreException if the store failed
     */
    public TurnResult respond(TurnRequest turn) {
        Objects.requireNonNull(turn, "turn");
        String holder = UUID.randomUUID().toString();
        acquireLease(turn, holder);
        try {
            return runTurn(turn, holder);
        } finally {
            // release even when interrupted: a driver refuses I/O on an interrupted thread
            boolean interrupted = Thread.interrupted();
            try {
                store.releaseLease(turn.sessionId(), holder);
            } catch (ConversationStoreException e) {
                // the lease expires on its own
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private TurnResult runTurn(TurnRequest turn, String holder) {
        String replyId = turn.turnId() + REPLY_SUFFIX;
        Message user = new Message(turn.turnId() + USER_SUFFIX, Role.USER, turn.userText(), clock.instant(), Map.of());
        AppendResult appended = store.appendMessages(AppendRequest.builder(turn.sessionId(), turn.language())
                .appendId(user.id()).leaseHolder(holder).messages(user).build());
        StoredMessage storedUser = new StoredMessage(appended.firstSequence(), user);
        if (appended.duplicate()) {
            List<StoredMessage> stored = store.readMessages(turn.sessionId(), appended.firstSequence(), 2);
            if (!stored.isEmpty()) {
                storedUser = stored.get(0);
            }
            if (stored.size() == 2 && stored.get(1).message().id().equals(replyId)) {
                return new TurnResult(turn.turnId(), storedUser, stored.get(1), true, TokenUsage.UNKNOWN);
            }
        }
        ReplyRequest request = new ReplyRequest(turn.sessionId(), turn.language(),
                window(turn.sessionId(), storedUser.sequence()), storedUser.message(), mode, turn.turnId());
        Reply reply = callProvider(request, holder);
        Message replyMessage;
        try {
            replyMessage = new Message(replyId, Role.ASSISTANT, List.of(Part.text(reply.text())), clock.instant(),
                    reply.attributes(), replyMetadata(reply));
        } catch (IllegalArgumentException e) {
            throw failed(request, 1, false, "it returned an unusable reply: " + e.getMessage(), e);
        }
        renewOrFail(turn.sessionId(), turn.turnId(), holder);
        // fenced: if this turn lost its lease (a pause longer than the lease), the reply is refused
        // rather than stored after a later turn's messages
        AppendResult stored = store.appendMessages(AppendRequest.builder(turn.sessionId(), turn.language())
                .appendId(replyId).leaseHolder(holder).messages(replyMessage).build());
        if (stored.duplicate()) {
            List<StoredMessage> existing = store.readMessages(turn.sessionId(), stored.firstSequence(), 1);
            if (!existing.isEmpty()) {
                return new TurnResult(turn.turnId(), storedUser, existing.get(0), true, TokenUsage.UNKNOWN);
            }
        }
        return new TurnResult(turn.turnId(), storedUser, new StoredMessage(stored.firstSequence(), replyMessage),
                stored.duplicate(), reply.usage());
    }

    /** The reply's metadata, with its token usage under {@link Message#USAGE} when the provider reported it. */
    private static Map<String, Object> replyMetadata(Reply reply) {
        if (reply.usage().equals(TokenUsage.UNKNOWN)) {
            return reply.metadata();
        }
        Map<String, Object> metadata = new LinkedHashMap<>(reply.metadata());
        metadata.put(Message.USAGE, Map.of("inputTokens", reply.usage().inputTokens(),
                "outputTokens", reply.usage().outputTokens()));
        return metadata;
    }

    /** The last messages before {@code userSequence}, within the message count and character budget. */
    private List<StoredMessage> window(String sessionId, long userSequence) {
        if (windowMessages == 0 || userSequence == 0) {
            return List.of();
        }
        long from = Math.max(0, userSequence - windowMessages);
        List<StoredMessage> recent = store.readMessages(sessionId, from, (int) (userSequence - from));
        int chars = 0;
        int start = recent.size();
        while (start > 0 && chars + recent.get(start - 1).text().length() <= windowChars) {
            chars += recent.get(start - 1).text().length();
            start--;
        }
        return ToolPairs.keepWhole(recent.subList(start, recent.size()));
    }

    private Reply callProvider(ReplyRequest request, String holder) {
        Throwable last = null;
        boolean retryable = false;
        String reason = "";
        int attempt = 0;
        while (attempt < maxProviderAttempts) {
            attempt++;
            renewOrFail(request.sessionId(), request.turnId(), holder);
            Future<Reply> call = calls.submit(() -> provider.reply(request));
            try {
                Reply reply = call.get(replyTimeout.toNanos(), TimeUnit.NANOSECONDS);
                if (reply == null) {
                    throw failed(request, attempt, false, "it returned null", null);
                }
                return reply;
            } catch (TimeoutException e) {
                call.cancel(true);
                last = e;
                retryable = true;
                reason = "no reply within " + replyTimeout;
            } catch (ExecutionException e) {
                last = e.getCause();
                retryable = last instanceof ReplyProviderException && ((ReplyProviderException) last).isRetryable();
                reason = String.valueOf(last.getMessage());
            } catch (InterruptedException e) {
                call.cancel(true);
                Thread.currentThread().interrupt();
                throw failed(request, attempt, true, "the calling thread was interrupted", e);
            }
            if (!retryable) {
                break;
            }
            if (attempt < maxProviderAttempts) {
                long backoff = Math.min(MAX_BACKOFF_NANOS, retryBackoff.toNanos() << Math.min(attempt - 1, 20));
                LockSupport.parkNanos(backoff);
            }
        }
        throw failed(request, attempt, retryable, reason, last);
    }

    private ReplyFailedException failed(ReplyRequest request, int attempts, boolean retryable, String reason, Throwable cause) {
        return new ReplyFailedException("reply provider '" + provider.name() + "' failed for session '"
                + request.sessionId() + "', turn " + request.turnId() + " after " + attempts + " attempt(s): " + reason
                + "; the user's message is stored: retry with the same turn id", request.turnId(), retryable, cause);
    }

    private void acquireLease(TurnRequest turn, String holder) {
        long deadline = System.nanoTime() + busyTimeout.toNanos();
        long pause = TimeUnit.MILLISECONDS.toNanos(5);
        while (!store.tryAcquireLease(turn.sessionId(), turn.language(), holder, leaseDuration)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new ConversationBusyException("session '" + turn.sessionId() + "' is busy with another turn;"
                        + " waited " + busyTimeout + " for it: retry turn " + turn.turnId() + " later");
            }
            LockSupport.parkNanos(Math.min(left, pause));
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    private void renewOrFail(String sessionId, String turnId, String holder) {
        if (!store.renewLease(sessionId, holder, leaseDuration)) {
            throw new ConversationBusyException("turn " + turnId + " lost the lease of session '" + sessionId
                    + "' (it expired and another turn took it): retry with the same turn id");
        }
    }

    /**
     * Stops the threads that run provider calls; calls under way are interrupted.
     */
    @Override
    public void close() {
        calls.shutdownNow();
    }

    /**
     * Configures a {@link TurnService}. Not thread-safe.
     *
     * @since 0.1.0
     */
    public static final class Builder {
        private final ConversationStore store;
        private ReplyProvider provider;
        private String discoverName;
        private boolean discover;
        private Duration replyTimeout = Duration.ofSeconds(60);
        private int maxProviderAttempts = 3;
        private Duration retryBackoff = Duration.ofMillis(500);
        private int windowMessages = 20;
        private int windowChars = Integer.MAX_VALUE;
        private Duration leaseDuration;
        private Duration busyTimeout = Duration.ofSeconds(30);
        private String mode = ReplyRequest.CONVERSATION;
        private Clock clock = Clock.systemUTC();

        private Builder(ConversationStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /**
         * Uses this provider.
         *
         * @param value the provider
         * @return this builder
         */
        public Builder provider(ReplyProvider value) {
            this.provider = Objects.requireNonNull(value, "provider");
            return this;
        }

        /**
         * Uses the only provider {@link ServiceLoader} finds.
         *
         * @return this builder; {@link #build()} fails unless exactly one provider is found
         */
        public Builder discoverProvider() {
            this.discover = true;
            this.discoverName = null;
            return this;
        }

        /**
         * Uses the provider {@link ServiceLoader} finds under this {@linkplain ReplyProvider#name() name}.
         *
         * @param name the provider's name
         * @return this builder
         */
        public Builder discoverProvider(String name) {
            this.discover = true;
            this.discoverName = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Sets how long one provider call may take (default 60 s); a call that takes longer is
         * interrupted and counts as a retryable failure.
         *
         * @param value positive
         * @return this builder
         */
        public Builder replyTimeout(Duration value) {
            this.replyTimeout = positive("replyTimeout", value);
            return this;
        }

        /**
         * Sets how many times the provider is called for one turn at most (default 3).
         *
         * @param attempts 1 or more
         * @return this builder
         */
        public Builder maxProviderAttempts(int attempts) {
            this.maxProviderAttempts = Checks.positive("maxProviderAttempts", attempts);
            return this;
        }

        /**
         * Sets the pause before the second provider attempt (default 500 ms); it doubles for each
         * further attempt, up to 10 s.
         *
         * @param value zero or more
         * @return this builder
         */
        public Builder retryBackoff(Duration value) {
            Objects.requireNonNull(value, "retryBackoff");
            if (value.isNegative()) {
                throw new IllegalArgumentException("retryBackoff must not be negative, was " + value);
            }
            this.retryBackoff = value;
            return this;
        }

        /**
         * Sets how many of the latest messages before the user's are given to the provider
         * (default 20).
         *
         * @param messages 0 to {@value ConversationStore#MAX_READ_LIMIT}
         * @return this builder
         */
        public Builder windowMessages(int messages) {
            if (messages < 0 || messages > ConversationStore.MAX_READ_LIMIT) {
                throw new IllegalArgumentException("windowMessages must be between 0 and "
                        + ConversationStore.MAX_READ_LIMIT + ", was " + messages);
            }
            this.windowMessages = messages;
            return this;
        }

        /**
         * Sets a budget of characters for the window: the oldest messages are left out until the
         * texts of the rest fit (default: no budget).
         *
         * @param chars zero or more
         * @return this builder
         */
        public Builder windowChars(int chars) {
            if (chars < 0) {
                throw new IllegalArgumentException("windowChars must not be negative, was " + chars);
            }
            this.windowChars = chars;
            return this;
        }

        /**
         * Sets how long a turn's lease lasts between renewals (default: the reply timeout plus 30 s).
         * It must exceed the reply timeout, so that a live turn never loses its lease; a turn whose
         * process dies blocks the session for at most this long.
         *
         * @param value longer than the reply timeout
         * @return this builder
         */
        public Builder leaseDuration(Duration value) {
            this.leaseDuration = positive("leaseDuration", value);
            return this;
        }

        /**
         * Sets how long a turn waits for another turn of the same session before it fails with
         * {@link ConversationBusyException} (default 30 s).
         *
         * @param value zero or more
         * @return this builder
         */
        public Builder busyTimeout(Duration value) {
            Objects.requireNonNull(value, "busyTimeout");
            if (value.isNegative()) {
                throw new IllegalArgumentException("busyTimeout must not be negative, was " + value);
            }
            this.busyTimeout = value;
            return this;
        }

        /**
         * Sets the mode passed to the provider (default {@value ReplyRequest#CONVERSATION}).
         *
         * @param value the mode
         * @return this builder
         */
        public Builder mode(String value) {
            this.mode = Objects.requireNonNull(value, "mode");
            return this;
        }

        /**
         * Sets the clock for message timestamps (default: system UTC).
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Validates the settings and builds the service.
         *
         * @return the service
         * @throws IllegalStateException if no provider is set or found, or the lease duration does
         *     not exceed the reply timeout
         */
        public TurnService build() {
            ReplyProvider chosen = provider != null ? provider : discover ? discovered() : null;
            if (chosen == null) {
                throw new IllegalStateException("provider is required: call provider(...) or discoverProvider()");
            }
            Duration lease = leaseDuration != null ? leaseDuration : replyTimeout.plusSeconds(30);
            if (lease.compareTo(replyTimeout) <= 0) {
                throw new IllegalStateException("leaseDuration (" + lease + ") must exceed replyTimeout (" + replyTimeout + ")");
            }
            return new TurnService(this, chosen, lease);
        }

        private ReplyProvider discovered() {
            List<ReplyProvider> found = new ArrayList<>();
            ServiceLoader.load(ReplyProvider.class).forEach(found::add);
            List<ReplyProvider> matching = found.stream()
                    .filter(p -> discoverName == null || p.name().equals(discoverName))
                    .collect(Collectors.toList());
            if (matching.size() != 1) {
                throw new IllegalStateException("expected one reply provider" + (discoverName == null ? "" : " named '" + discoverName + "'")
                        + " on the class or module path, found " + matching.size() + "; available: "
                        + found.stream().map(ReplyProvider::name).collect(Collectors.toList()));
            }
            return matching.get(0);
        }

        private static Duration positive(String name, Duration value) {
            Objects.requireNonNull(value, name);
            if (value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException(name + " must be positive, was " + value);
            }
            return value;
        }
    }
}
