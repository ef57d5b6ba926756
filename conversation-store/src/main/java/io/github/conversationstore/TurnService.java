package io.github.conversationstore;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.StoreListener;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolException;
import io.github.conversationstore.spi.ToolInvocation;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
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
import java.util.function.Consumer;
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
 *       character budget, tool pairs kept whole: {@link ToolPairs}) and call the provider with a
 *       timeout, retrying failures it marks retryable with exponential backoff, renewing the lease
 *       before each attempt;</li>
 *   <li>if the reply asks for {@linkplain Builder#tools(Tool...) tools}: store it under the append id
 *       {@code turnId + ":s" + step}, run each call (with a timeout and retries) and store its result
 *       under {@code turnId + ":s" + step + ":r" + index} as soon as it is known, then call the
 *       provider again with the turn's steps, up to {@linkplain Builder#maxSteps(int) a bound};</li>
 *   <li>append the final reply under the append id {@code turnId + ":reply"}: stored once;</li>
 *   <li>every append is fenced by the lease ({@link AppendRequest.Builder#leaseHolder(String)}): a
 *       turn that lost its lease, however late its write arrives, is refused with
 *       {@link LeaseLostException} instead of writing after a later turn;</li>
 *   <li>release the lease.</li>
 * </ol>
 * When the provider finally fails, {@link ReplyFailedException} is thrown, the user's message stays
 * stored, and calling {@link #respond(TurnRequest)} again with the same turn id completes the turn.
 *
 * <p>Resuming: a turn called again with its id (in any process) reads what it stored before and
 * goes on from there: a stored step is never asked for again, a call whose result is stored is
 * never run again, and a call whose result is missing (its process died, or the tool kept failing
 * in a retryable way) is run again with the same {@linkplain ToolInvocation#idempotencyKey()
 * idempotency key}. So a tool runs at least once per call, and the conversation holds every step
 * exactly once. A call of a tool nobody offered, a call whose arguments are not a JSON object, and a
 * tool failure that is not retryable are stored as error results the model reads, and the turn goes on.
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
    /** Messages read per page when a retried turn looks for what it stored before. */
    private static final int TURN_PAGE = 200;
    /** Test seam: the points after which a crash is injected. */
    static final String STEP_CALLS_STORED = "calls stored";
    static final String STEP_TOOL_RAN = "tool ran";
    static final String STEP_RESULT_STORED = "result stored";
    static final String STEP_REPLY_STORED = "reply stored";

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
    private final Map<String, Tool> tools;
    private final List<ToolSpec> toolSpecs;
    private final Duration toolTimeout;
    private final int maxToolAttempts;
    private final int maxSteps;
    private final Consumer<String> hook;
    private final Observers observers;
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
        this.tools = Map.copyOf(b.tools);
        this.toolSpecs = b.tools.values().stream().map(Tool::spec).collect(Collectors.toUnmodifiableList());
        this.toolTimeout = b.toolTimeout;
        this.maxToolAttempts = b.maxToolAttempts;
        this.maxSteps = b.maxSteps;
        this.hook = b.hook;
        this.observers = b.listeners.isEmpty() ? Observers.NONE : new Observers(b.listeners, b.exposeSessionIds);
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
        String session = observers.session(turn.sessionId());
        if (observers.active()) {
            observers.emit(l -> l.onTurnStart(new StoreListener.TurnStart(session, java.time.Instant.now())));
        }
        // the end of what the start opened goes to the listeners in reverse order (scopes close last-in first-out)
        return observers.observe(() -> respondUnderLease(turn), (result, start, outcome) -> observers.emitReversed(
                l -> l.onTurn(new StoreListener.Turn(session, result == null ? 0 : toolSteps(result),
                        result != null && result.replayed(), result == null ? TokenUsage.UNKNOWN : result.usage(),
                        Observers.startOf(start), Observers.since(start), outcome))));
    }

    private static int toolSteps(TurnResult result) {
        return (int) result.steps().stream().filter(m -> m.role() == Role.ASSISTANT).count();
    }

    private TurnResult respondUnderLease(TurnRequest turn) {
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
        List<StoredMessage> steps = new ArrayList<>();
        if (appended.duplicate()) {
            // a retried turn: resume after what its earlier calls stored
            List<StoredMessage> stored = turnMessages(turn, appended.firstSequence(), replyId);
            if (!stored.isEmpty() && stored.get(0).message().id().equals(user.id())) {
                storedUser = stored.remove(0);
            }
            if (!stored.isEmpty() && stored.get(stored.size() - 1).message().id().equals(replyId)) {
                StoredMessage reply = stored.remove(stored.size() - 1);
                return new TurnResult(turn.turnId(), storedUser, reply, true, TokenUsage.UNKNOWN, stored);
            }
            steps.addAll(stored);
        }
        List<StoredMessage> window = window(turn.sessionId(), storedUser.sequence());
        TokenUsage usage = TokenUsage.UNKNOWN;
        int step = (int) steps.stream().filter(m -> m.role() == Role.ASSISTANT).count();
        while (true) {
            runPendingCalls(turn, holder, step, steps);
            if (step >= maxSteps) {
                throw new ReplyFailedException("turn " + turn.turnId() + " of session '" + turn.sessionId()
                        + "': the model still asked for tools after " + maxSteps + " steps (maxSteps); every call it"
                        + " made has its result stored, and the conversation stays valid", turn.turnId(), false, null);
            }
            ReplyRequest request = new ReplyRequest(turn.sessionId(), turn.language(), window, storedUser.message(),
                    mode, turn.turnId(), steps, toolSpecs);
            Reply reply = callProvider(request, holder);
            usage = new TokenUsage(usage.inputTokens() + reply.usage().inputTokens(),
                    usage.outputTokens() + reply.usage().outputTokens());
            step++;
            boolean last = reply.toolCalls().isEmpty();
            String id = last ? replyId : turn.turnId() + ":s" + step;
            Message message;
            try {
                message = new Message(id, Role.ASSISTANT, reply.parts(), clock.instant(), reply.attributes(),
                        replyMetadata(reply));
            } catch (IllegalArgumentException e) {
                throw failed(request, 1, false, "it returned an unusable reply: " + e.getMessage(), e);
            }
            renewOrFail(turn.sessionId(), turn.turnId(), holder);
            // fenced: if this turn lost its lease (a pause longer than the lease), the write is
            // refused rather than stored after a later turn's messages
            Step stored;
            try {
                stored = appendStep(turn, holder, message);
            } catch (IllegalArgumentException tooLarge) {
                // over a size limit of the store: nothing was stored, and asking again would not help
                throw failed(request, 1, false, "its reply could not be stored: " + tooLarge.getMessage(), tooLarge);
            }
            hook.accept(last ? STEP_REPLY_STORED : STEP_CALLS_STORED);
            if (last) {
                return new TurnResult(turn.turnId(), storedUser, stored.message, stored.duplicate, usage, steps);
            }
            steps.add(stored.message);
        }
    }

    /** A stored step, and whether an earlier call had stored it. */
    private static final class Step {
        final StoredMessage message;
        final boolean duplicate;

        Step(StoredMessage message, boolean duplicate) {
            this.message = message;
            this.duplicate = duplicate;
        }
    }

    /** Appends one step of the turn under its own id, fenced; a repeat gives back the stored message. */
    private Step appendStep(TurnRequest turn, String holder, Message message) {
        AppendResult result = store.appendMessages(AppendRequest.builder(turn.sessionId(), turn.language())
                .appendId(message.id()).leaseHolder(holder).messages(message).build());
        if (result.duplicate()) {
            List<StoredMessage> existing = store.readMessages(turn.sessionId(), result.firstSequence(), 1);
            if (!existing.isEmpty()) {
                return new Step(existing.get(0), true);
            }
        }
        return new Step(new StoredMessage(result.firstSequence(), message), result.duplicate());
    }

    /**
     * The turn's messages from its user message on, in order: its own ids only (another writer's or
     * another turn's messages in between are not the turn's), up to and including its reply if stored.
     */
    private List<StoredMessage> turnMessages(TurnRequest turn, long userSequence, String replyId) {
        // the exact forms of the turn's ids: turn "a" must not take turn "a:x"'s messages for its own
        java.util.regex.Pattern own = java.util.regex.Pattern.compile(
                java.util.regex.Pattern.quote(turn.turnId()) + ":(?:user|reply|s\\d+(?::r\\d+)?)");
        List<StoredMessage> out = new ArrayList<>();
        long from = userSequence;
        while (true) {
            List<StoredMessage> page = store.readMessages(turn.sessionId(), from, TURN_PAGE);
            for (StoredMessage m : page) {
                if (own.matcher(m.message().id()).matches()) {
                    out.add(m);
                    if (m.message().id().equals(replyId)) {
                        return out;
                    }
                }
            }
            if (page.size() < TURN_PAGE) {
                return out;
            }
            from = page.get(page.size() - 1).sequence() + 1;
        }
    }

    /**
     * Runs the calls of the turn's last assistant step that have no stored result, storing each
     * result as soon as it is known.
     */
    private void runPendingCalls(TurnRequest turn, String holder, int step, List<StoredMessage> steps) {
        int callsAt = -1;
        for (int i = steps.size() - 1; i >= 0 && callsAt < 0; i--) {
            if (steps.get(i).role() == Role.ASSISTANT) {
                callsAt = i;
            }
        }
        if (callsAt < 0) {
            return;
        }
        java.util.Set<String> answered = new java.util.HashSet<>();
        for (StoredMessage m : steps.subList(callsAt + 1, steps.size())) {
            m.message().toolResults().forEach(r -> answered.add(r.callId()));
        }
        List<Part.ToolCall> calls = steps.get(callsAt).message().toolCalls();
        for (int i = 0; i < calls.size(); i++) {
            Part.ToolCall call = calls.get(i);
            if (answered.contains(call.callId())) {
                continue;
            }
            Part.ToolResult result = runTool(turn, holder, step, call);
            hook.accept(STEP_TOOL_RAN);
            renewOrFail(turn.sessionId(), turn.turnId(), holder);
            String id = turn.turnId() + ":s" + step + ":r" + i;
            Step stored;
            try {
                stored = appendStep(turn, holder, new Message(id, Role.TOOL, List.of(result), clock.instant(), Map.of(), Map.of()));
            } catch (IllegalArgumentException tooLarge) {
                // nothing was stored: say so to the model rather than fail the turn on every retry
                Part.ToolResult error = Part.ToolResult.error(call.callId(), call.name(),
                        "the tool's result could not be stored: " + tooLarge.getMessage());
                stored = appendStep(turn, holder, new Message(id, Role.TOOL, List.of(error), clock.instant(), Map.of(), Map.of()));
            }
            steps.add(stored.message);
            hook.accept(STEP_RESULT_STORED);
        }
    }

    /**
     * Runs one call with the tool's timeout and retries; a failure the model should read becomes an
     * error result, one that may pass fails the turn (resumable by its id).
     */
    private Part.ToolResult runTool(TurnRequest turn, String holder, int step, Part.ToolCall call) {
        int[] attempts = {0};
        String session = observers.session(turn.sessionId());
        return observers.observe(() -> runTool(turn, holder, step, call, attempts), (result, start, outcome) ->
                observers.emit(l -> l.onToolCall(new StoreListener.ToolCall(session, call.name(),
                        tools.containsKey(call.name()), attempts[0], Observers.startOf(start), Observers.since(start),
                        result != null && result.error() ? "error_result" : outcome))));
    }

    private Part.ToolResult runTool(TurnRequest turn, String holder, int step, Part.ToolCall call, int[] attempts) {
        Tool tool = tools.get(call.name());
        if (tool == null) {
            return Part.ToolResult.error(call.callId(), call.name(), "no tool named '" + call.name()
                    + "'; the tools are " + tools.keySet());
        }
        if (!new ToolInvocation(turn.sessionId(), turn.turnId(), step, call.callId(), call.name(), call.arguments(), 1)
                .argumentsAreJsonObject()) {
            return Part.ToolResult.error(call.callId(), call.name(), "the arguments are not a JSON object: "
                    + call.arguments());
        }
        String reason = "";
        Throwable last = null;
        for (int attempt = 1; attempt <= maxToolAttempts; attempt++) {
            attempts[0] = attempt;
            renewOrFail(turn.sessionId(), turn.turnId(), holder);
            ToolInvocation invocation = new ToolInvocation(turn.sessionId(), turn.turnId(), step, call.callId(), call.name(),
                    call.arguments(), attempt);
            Future<ToolOutput> run = calls.submit(observers.wrap(() -> tool.run(invocation)));
            try {
                ToolOutput output = run.get(toolTimeout.toNanos(), TimeUnit.NANOSECONDS);
                if (output == null) {
                    return Part.ToolResult.error(call.callId(), call.name(), "the tool returned nothing");
                }
                return new Part.ToolResult(call.callId(), call.name(), output.content(), output.json(), false);
            } catch (TimeoutException e) {
                run.cancel(true);
                last = e;
                reason = "no result within " + toolTimeout;
            } catch (ExecutionException e) {
                last = e.getCause();
                if (!(last instanceof ToolException) || !((ToolException) last).isRetryable()) {
                    return Part.ToolResult.error(call.callId(), call.name(), last instanceof ToolException
                            ? String.valueOf(last.getMessage())
                            : "the tool failed: " + last.getClass().getSimpleName() + ": " + last.getMessage());
                }
                reason = String.valueOf(last.getMessage());
            } catch (InterruptedException e) {
                run.cancel(true);
                Thread.currentThread().interrupt();
                throw toolFailed(turn, call, attempt, "the calling thread was interrupted", e);
            }
            if (attempt < maxToolAttempts) {
                pauseBeforeRetry("tool " + call.name(), attempt, last);
            }
        }
        Observers.LOG.log(System.Logger.Level.WARNING, "tool " + call.name() + " gave up after " + maxToolAttempts
                + " attempts; last failure: " + StoreListener.outcome(last));
        throw toolFailed(turn, call, maxToolAttempts, reason, last);
    }

    private ReplyFailedException toolFailed(TurnRequest turn, Part.ToolCall call, int attempts, String reason, Throwable cause) {
        return new ReplyFailedException("tool '" + call.name() + "' (call " + call.callId() + ") of turn " + turn.turnId()
                + " in session '" + turn.sessionId() + "' failed after " + attempts + " attempt(s): " + reason
                + "; the turn's steps so far are stored: retry with the same turn id to run the call again with the same"
                + " idempotency key", turn.turnId(), true, cause);
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
        int[] attempts = {0};
        String session = observers.session(request.sessionId());
        return observers.observe(() -> callProvider(request, holder, attempts), (reply, start, outcome) -> {
            Object model = reply == null ? null : reply.metadata().get(Message.MODEL);
            observers.emit(l -> l.onProviderCall(new StoreListener.ProviderCall(session, provider.name(),
                    model instanceof String ? (String) model : "", attempts[0],
                    reply == null ? TokenUsage.UNKNOWN : reply.usage(), reply == null ? 0 : reply.toolCalls().size(),
                    Observers.startOf(start), Observers.since(start), outcome)));
        });
    }

    private Reply callProvider(ReplyRequest request, String holder, int[] attempts) {
        Throwable last = null;
        boolean retryable = false;
        String reason = "";
        int attempt = 0;
        while (attempt < maxProviderAttempts) {
            attempt++;
            attempts[0] = attempt;
            renewOrFail(request.sessionId(), request.turnId(), holder);
            Future<Reply> call = calls.submit(observers.wrap(() -> provider.reply(request)));
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
                pauseBeforeRetry("provider " + provider.name(), attempt, last);
            }
        }
        if (retryable) {
            Observers.LOG.log(System.Logger.Level.WARNING, "provider " + provider.name() + " gave up after " + attempt
                    + " attempts; last failure: " + StoreListener.outcome(last));
        }
        throw failed(request, attempt, retryable, reason, last);
    }

    /** The pause before the next attempt of a provider call or tool run: doubling from the backoff, up to 10 s. */
    private void pauseBeforeRetry(String what, int attempt, Throwable failure) {
        Observers.LOG.log(System.Logger.Level.DEBUG, what + ": attempt " + attempt + " failed with "
                + StoreListener.outcome(failure) + "; retrying");
        LockSupport.parkNanos(Math.min(MAX_BACKOFF_NANOS, retryBackoff.toNanos() << Math.min(attempt - 1, 20)));
    }

    private ReplyFailedException failed(ReplyRequest request, int attempts, boolean retryable, String reason, Throwable cause) {
        return new ReplyFailedException("reply provider '" + provider.name() + "' failed for session '"
                + request.sessionId() + "', turn " + request.turnId() + " after " + attempts + " attempt(s): " + reason
                + "; the user's message is stored: retry with the same turn id", request.turnId(), retryable, cause);
    }

    private void acquireLease(TurnRequest turn, String holder) {
        long start = System.nanoTime();
        long deadline = start + busyTimeout.toNanos();
        long pause = TimeUnit.MILLISECONDS.toNanos(5);
        boolean waited = false;
        while (!store.tryAcquireLease(turn.sessionId(), turn.language(), holder, leaseDuration)) {
            waited = true;
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                leaseWait(turn, start, true);
                throw new ConversationBusyException("session '" + turn.sessionId() + "' is busy with another turn;"
                        + " waited " + busyTimeout + " for it: retry turn " + turn.turnId() + " later");
            }
            LockSupport.parkNanos(Math.min(left, pause));
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(100));
        }
        if (waited) {
            leaseWait(turn, start, false);
        }
    }

    private void leaseWait(TurnRequest turn, long start, boolean busy) {
        if (observers.active()) {
            String session = observers.session(turn.sessionId());
            observers.emit(l -> l.onLeaseWait(new StoreListener.LeaseWait(session, Observers.since(start), busy)));
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
        private final Map<String, Tool> tools = new java.util.LinkedHashMap<>();
        private Duration toolTimeout = Duration.ofSeconds(30);
        private int maxToolAttempts = 3;
        private int maxSteps = 8;
        private Consumer<String> hook = step -> { };
        private final List<StoreListener> listeners = new ArrayList<>();
        private boolean exposeSessionIds;

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
         * Offers these tools to the model, in addition to those offered before.
         *
         * @param values the tools
         * @return this builder
         * @throws IllegalArgumentException if two tools have the same name
         * @since 0.2.0
         */
        public Builder tools(Tool... values) {
            for (Tool tool : values) {
                Objects.requireNonNull(tool, "tool");
                String name = Objects.requireNonNull(tool.spec(), "spec").name();
                if (tools.putIfAbsent(name, tool) != null) {
                    throw new IllegalArgumentException("tools must have distinct names; '" + name + "' is offered twice");
                }
            }
            return this;
        }

        /**
         * Sets how long one run of a tool may take (default 30 s); a run that takes longer is
         * interrupted and counts as a retryable failure (it may have had an effect: it is run again
         * with the same idempotency key).
         *
         * @param value positive
         * @return this builder
         * @since 0.2.0
         */
        public Builder toolTimeout(Duration value) {
            this.toolTimeout = positive("toolTimeout", value);
            return this;
        }

        /**
         * Sets how many times one call is run at most in one {@code respond} (default 3): retryable
         * failures and timeouts are retried with the provider's backoff; when the last attempt
         * fails, the turn fails with a retryable {@link ReplyFailedException} and resumes by its id.
         *
         * @param attempts 1 or more
         * @return this builder
         * @since 0.2.0
         */
        public Builder maxToolAttempts(int attempts) {
            this.maxToolAttempts = Checks.positive("maxToolAttempts", attempts);
            return this;
        }

        /**
         * Sets how many provider calls one turn may make (default 8): a model that still asks for
         * tools after that many ends the turn with a {@link ReplyFailedException} that is not
         * retryable, every call answered.
         *
         * @param steps 1 to 99
         * @return this builder
         * @since 0.2.0
         */
        public Builder maxSteps(int steps) {
            if (steps < 1 || steps > 99) {
                throw new IllegalArgumentException("maxSteps must be between 1 and 99, was " + steps);
            }
            this.maxSteps = steps;
            return this;
        }

        /**
         * Adds a listener that hears the turns: their start and end, lease waits, provider calls and
         * tool calls (see {@link StoreListener}; register it on the store's builder too for appends
         * and reads). A listener that throws never breaks a turn.
         *
         * @param listener the listener
         * @return this builder
         * @since 0.2.0
         */
        public Builder listener(StoreListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Sets whether events name the session (default false: session ids can be personal data).
         *
         * @param value whether to expose session ids to listeners
         * @return this builder
         * @since 0.2.0
         */
        public Builder exposeSessionIds(boolean value) {
            this.exposeSessionIds = value;
            return this;
        }

        /** Test seam: called after each step of a turn (see the {@code STEP_} constants). */
        Builder hook(Consumer<String> value) {
            this.hook = Objects.requireNonNull(value, "hook");
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
            Duration longest = tools.isEmpty() || replyTimeout.compareTo(toolTimeout) >= 0 ? replyTimeout : toolTimeout;
            Duration lease = leaseDuration != null ? leaseDuration : longest.plusSeconds(30);
            if (lease.compareTo(longest) <= 0) {
                throw new IllegalStateException("leaseDuration (" + lease + ") must exceed replyTimeout (" + replyTimeout
                        + ")" + (tools.isEmpty() ? "" : " and toolTimeout (" + toolTimeout + ")"));
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
