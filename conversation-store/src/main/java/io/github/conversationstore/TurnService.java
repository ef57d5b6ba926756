package io.github.conversationstore;

import io.github.conversationstore.spi.ReplyFollower;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.StoreListener;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolInvocation;
import java.time.Duration;
import java.time.Instant;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Runs conversation turns: store the user's message, ask a {@link ReplyProvider} for the reply,
 * store the reply.
 *
 * <p>For example:
 *
 * <!-- snippet file="io/github/conversationstore/examples/TurnExamplesTest.java" region="turn-service" -->
 * <pre>{@code
 * TurnService turns = TurnService.builder(store)
 *         .provider(provider)                   // your language model: see the spi package
 *         .replyTimeout(Duration.ofSeconds(30)) // per attempt; retryable failures are retried
 *         .windowMessages(20)                   // the last 20 messages go with the user's
 *         .build();                             // one per application: close it when it stops
 *
 * TurnResult turn = turns.respond("session-42", "es", "¿Qué hora es?", "turn-8");
 * String reply = turn.reply().text();
 *
 * // A retry with the same turn id (a timeout, a double click, another process) stores nothing
 * TurnResult again = turns.respond("session-42", "es", "¿Qué hora es?", "turn-8");
 * // again.replayed() is true, and again.reply() is turn.reply()
 * }</pre>
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
 *       timeout, retrying failures it marks retryable with exponential backoff; before an attempt
 *       the lease is renewed if what is left of it would not cover the attempt's timeout (every
 *       fenced append extends it too, so a quick turn makes no renewal);</li>
 *   <li>if the reply asks for {@linkplain Builder#tools(Tool...) tools}: store it under the append id
 *       {@code turnId + ":s" + step}, run each call (with a timeout and retries) and store its result
 *       under {@code turnId + ":s" + step + ":r" + index} as soon as it is known, then call the
 *       provider again with the turn's steps, up to {@linkplain Builder#maxSteps(int) a bound};</li>
 *   <li>append the final reply under the append id {@code turnId + ":reply"}: stored once;</li>
 *   <li>every append is fenced by the lease ({@link AppendRequest.Builder#leaseHolder(String)}): a
 *       turn that lost its lease, however late its write arrives, is refused with
 *       {@link LeaseLostException} instead of writing after a later turn;</li>
 *   <li>release the lease (unless the store did not answer: then the lease expires, so that
 *       {@code respond} fails within the store's one deadline).</li>
 * </ol>
 * When the provider finally fails, {@link ReplyFailedException} is thrown, the user's message stays
 * stored, and calling {@link #respond(TurnRequest)} again with the same turn id completes the turn.
 *
 * <p>Resuming: a turn called again with its id (in any process) reads what it stored before and
 * goes on from there: a stored step is never asked for again, a call whose result is stored is
 * never run again, and a call whose result is missing (its process died, or the tool kept failing
 * in a retryable way) is run again with the same {@linkplain ToolInvocation#idempotencyKey()
 * idempotency key}. So a tool runs at least once per call, and the conversation holds every step
 * exactly once; a turn id is recognized however many appends came since. In one service a call
 * never has two runs at once: a run that timed out and goes on anyway is waited for before the
 * call runs again. A call of a tool nobody offered, a call whose arguments are not one strict JSON
 * object ({@link ToolInvocation#argumentsAreJsonObject()}), and a tool failure that is not retryable
 * are stored as error results the model reads, and the turn goes on.
 *
 * <p>Thread-safe. At most 64 provider calls and tool runs are under way at once. Close it to stop
 * the threads that run them.
 *
 * @since 0.1.0
 */
public final class TurnService implements AutoCloseable {
    /** Test seam: the points after which a crash is injected. */
    static final String STEP_CALLS_STORED = "calls stored";
    static final String STEP_TOOL_RAN = "tool ran";
    static final String STEP_RESULT_STORED = "result stored";
    static final String STEP_REPLY_STORED = "reply stored";
    static final String STEP_SUMMARIZED = "summarized";
    /** The {@link Message#FINISH_REASON} of a reply stopped while it streamed ({@link #stop}). */
    public static final String STOPPED = "stopped";
    /**
     * The {@link Message#FINISH_REASON} of a streamed reply that reached the store's text limit:
     * the stream was ended there and the text up to the limit stored as the reply.
     *
     * @since 0.3
     */
    public static final String TRUNCATED = "truncated";
    static final String STEP_COMPACTION_FAILED = "compaction failed";

    private final TurnSettings settings;
    private final CallRunner runner;
    private final AbandonedLeases abandonedLeases = new AbandonedLeases();
    private final SessionQueue queue = new SessionQueue();
    /** Null without compaction. */
    private final Compactor compactor;

    private TurnService(TurnSettings settings) {
        this.settings = settings;
        this.runner = new CallRunner(settings.retryBackoff(), settings.observers());
        this.compactor = settings.compaction() == null ? null : new Compactor(settings, runner);
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
     * @throws IllegalStateException if the service is closed; nothing is stored
     */
    public TurnResult respond(TurnRequest turn) {
        Objects.requireNonNull(turn, "turn");
        if (runner.isClosed()) {
            throw new IllegalStateException("the turn service is closed; nothing of turn " + turn.turnId()
                    + " was stored");
        }
        Observers observers = settings.observers();
        String session = observers.session(turn.sessionId());
        if (observers.active()) {
            observers.emit(l -> l.onTurnStart(new StoreListener.TurnStart(session, Instant.now())));
        }
        // the end of what the start opened goes to the listeners in reverse order (scopes close last-in first-out)
        return observers.observe(() -> queue.run(new TurnRun(settings, runner, compactor, abandonedLeases, turn)), (result, start, outcome) ->
                observers.emitReversed(l -> l.onTurn(new StoreListener.Turn(session, result == null ? 0 : toolSteps(result),
                        result != null && result.replayed(), result == null ? TokenUsage.UNKNOWN : result.usage(),
                        Observers.startOf(start), Observers.since(start), outcome))));
    }

    /**
     * Compacts a conversation now, under its lease, if the {@linkplain Builder#compaction compaction
     * policy} says it is due: what a turn does after storing its reply, for an application that
     * rather runs it on its own schedule (a turn still compacts too). Unlike in a turn, a failure is
     * thrown; nothing is stored then, and the conversation stays valid.
     *
     * @param sessionId the conversation's key
     * @return the summary stored (or the one found stored for the same range), or empty if none was due
     * @throws IllegalStateException if the service has no compaction policy, or the summarizer
     *     failed, timed out, or gave an empty or oversized summary
     * @throws java.util.NoSuchElementException if the conversation does not exist
     * @throws ConversationBusyException if a turn of the session kept its lease too long
     * @throws ConversationStoreException if the store failed
     * @since 0.3
     */
    public Optional<Summary> compact(String sessionId) {
        if (compactor == null) {
            throw new IllegalStateException("compact needs a compaction policy: set Builder#compaction");
        }
        ConversationHeader header = settings.store().findConversation(Checks.sessionId(sessionId)).orElseThrow(
                () -> new NoSuchElementException("session '" + sessionId + "' does not exist"));
        TurnRequest request = new TurnRequest(sessionId, header.language(), "compaction",
                "compaction-" + UUID.randomUUID());
        return new TurnRun(settings, runner, compactor, abandonedLeases, request).compact();
    }

    /**
     * Answers a turn's user message again, on a new branch: with a new random turn id; see
     * {@link #regenerate(String, String, String)}.
     *
     * @param sessionId the conversation
     * @param turnId the turn to answer again
     * @return the branch and its turn
     * @throws IllegalArgumentException if an id is invalid, or {@code turnId} names no turn of the
     *     conversation (or the conversation does not exist); nothing is written
     * @throws IllegalStateException if the turn is still running (its reply is not stored and its
     *     session's lease is held); nothing is written
     * @throws ConversationBusyException if the branch's lease was kept by another turn too long
     * @throws ReplyFailedException if the provider gave no usable reply; retry with the same ids
     * @throws ConversationStoreException if the store failed
     * @since 0.3
     */
    public Branch regenerate(String sessionId, String turnId) {
        return regenerate(sessionId, turnId, "regenerate-" + UUID.randomUUID());
    }

    /**
     * Answers a turn's user message again, on a new branch: forks the conversation just before the
     * turn's user message ({@link ConversationStore#fork(String, long, String)}, nothing copied), and
     * runs a turn with the same text on the fork under {@code newTurnId}, so the provider sees the
     * same history and answers anew. The original conversation is untouched. The branch's session id
     * is derived from the session, the turn and {@code newTurnId}: a call repeated with the same
     * {@code newTurnId} (after a timeout, in any process) finds the same branch and completes or
     * replays its turn; a new {@code newTurnId} makes another branch. The fork is made under the
     * branch's lease, and the turn runs under it as every turn does. The turn is found by reading the
     * conversation back from its end, a page of 200 messages per read.
     *
     * @param sessionId the conversation
     * @param turnId the turn to answer again
     * @param newTurnId the branch's turn id: its idempotency key
     * @return the branch and its turn
     * @throws IllegalArgumentException if an id is invalid, {@code newTurnId} equals {@code turnId},
     *     or {@code turnId} names no turn of the conversation (or the conversation does not exist);
     *     nothing is written
     * @throws IllegalStateException if the turn is still running (its reply is not stored and its
     *     session's lease is held); nothing is written
     * @throws ConversationBusyException if the branch's lease was kept by another turn too long
     * @throws ReplyFailedException if the provider gave no usable reply; retry with the same ids
     * @throws ConversationStoreException if the store failed
     * @since 0.3
     */
    public Branch regenerate(String sessionId, String turnId, String newTurnId) {
        return TurnBranches.branch(settings.store(), "regenerate", sessionId, turnId, null, newTurnId,
                settings.leaseDuration(), this::respond);
    }

    /**
     * Edits a turn's user message, on a new branch: with a new random turn id; see
     * {@link #edit(String, String, String, String)}.
     *
     * @param sessionId the conversation
     * @param turnId the turn whose user message is edited
     * @param newText the edited message
     * @return the branch and its turn
     * @throws IllegalArgumentException if an argument is invalid, or {@code turnId} names no turn of
     *     the conversation; nothing is written
     * @throws IllegalStateException if the turn is still running; nothing is written
     * @throws ConversationBusyException if the branch's lease was kept by another turn too long
     * @throws ReplyFailedException if the provider gave no usable reply; retry with the same ids
     * @throws ConversationStoreException if the store failed
     * @since 0.3
     */
    public Branch edit(String sessionId, String turnId, String newText) {
        return edit(sessionId, turnId, newText, "edit-" + UUID.randomUUID());
    }

    /**
     * Edits a turn's user message, on a new branch: forks the conversation just before the turn's
     * user message and runs a turn with {@code newText} on the fork under {@code newTurnId}. The
     * original is untouched; idempotent under {@code newTurnId} as
     * {@link #regenerate(String, String, String)} is (a repeat with another text is refused by the
     * turn's user message, {@link AppendConflictException}).
     *
     * @param sessionId the conversation
     * @param turnId the turn whose user message is edited
     * @param newText the edited message
     * @param newTurnId the branch's turn id: its idempotency key
     * @return the branch and its turn
     * @throws IllegalArgumentException if an argument is invalid, {@code newTurnId} equals
     *     {@code turnId}, or {@code turnId} names no turn of the conversation; nothing is written
     * @throws IllegalStateException if the turn is still running; nothing is written
     * @throws ConversationBusyException if the branch's lease was kept by another turn too long
     * @throws ReplyFailedException if the provider gave no usable reply; retry with the same ids
     * @throws AppendConflictException if {@code newTurnId} was used before with another text
     * @throws ConversationStoreException if the store failed
     * @since 0.3
     */
    public Branch edit(String sessionId, String turnId, String newText, String newTurnId) {
        Objects.requireNonNull(newText, "newText");
        return TurnBranches.branch(settings.store(), "edit", sessionId, turnId, newText, newTurnId,
                settings.leaseDuration(), this::respond);
    }

    /**
     * Follows a turn's streamed reply from any process: gives {@code follower} the reply's text
     * after {@code fromOffset} (Unicode code points), then the new text as the turn's draft grows,
     * until the reply is stored (then the rest of the stored reply) or {@code timeout} passes. A
     * client that reconnects passes the offset it reached and resumes without gap or repeat; a
     * provider called again starts over ({@link ReplyFollower#restarted()}).
     *
     * @param sessionId the conversation's key
     * @param turnId the turn
     * @param fromOffset the code points already shown, 0 or more
     * @param follower receives the text
     * @param timeout how long to follow at most
     * @return the stored reply, or empty if the timeout passed first or the conversation was deleted
     * @throws IllegalArgumentException if {@code fromOffset} is negative or an id is invalid
     * @throws IllegalStateException if the store keeps no drafts (it is not one of this library's stores)
     * @throws ConversationStoreException if the store failed
     * @since 0.3
     */
    public Optional<StoredMessage> followTurn(String sessionId, String turnId, long fromOffset, ReplyFollower follower,
            Duration timeout) {
        TurnRequest checked = new TurnRequest(sessionId, "en", "follow", turnId);
        Checks.notNegative("fromOffset", fromOffset);
        return TurnFollowing.follow(settings.store(), TurnFollowing.drafts(settings.store()), checked.sessionId(), turnId, fromOffset,
                Objects.requireNonNull(follower, "follower"), Checks.positive("timeout", timeout));
    }

    /**
     * Asks a streaming turn to stop, from any process: at its next draft write the stream ends and
     * the text so far is stored as the reply, with {@link Message#FINISH_REASON} {@value #STOPPED}.
     *
     * @param sessionId the conversation's key
     * @param turnId the turn
     * @return true if the turn was streaming; false if it is unknown, not streaming, or has ended
     * @throws IllegalStateException if the store keeps no drafts
     * @throws ConversationStoreException if the store failed
     * @since 0.3
     */
    public boolean stop(String sessionId, String turnId) {
        TurnRequest checked = new TurnRequest(sessionId, "en", "stop", turnId);
        return TurnFollowing.drafts(settings.store()).stop(checked.sessionId(), turnId);
    }

    private static int toolSteps(TurnResult result) {
        return (int) result.steps().stream().filter(m -> m.role() == Role.ASSISTANT).count();
    }

    /**
     * Stops the threads that run provider calls and tools; calls under way are interrupted, and
     * later calls of {@code respond} are refused with {@link IllegalStateException}. Idempotent.
     */
    @Override
    public void close() {
        runner.close();
    }

    /**
     * Configures a {@link TurnService}. Not thread-safe.
     *
     * @since 0.1.0
     */
    public static final class Builder extends ProviderBuilder<Builder> {
        private final ConversationStore store;
        private Builder(ConversationStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        @Override
        Builder self() {
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
            ReplyProvider chosen = provider != null ? provider : discover ? ProviderDiscovery.find(discoverName) : null;
            if (chosen == null) {
                throw new IllegalStateException("provider is required: call provider(...) or discoverProvider()");
            }
            checkWindow();
            Duration longest = tools.isEmpty() || replyTimeout.compareTo(toolTimeout) >= 0 ? replyTimeout : toolTimeout;
            Duration summarizing = compaction == null ? Duration.ZERO : compaction.timeout().orElse(replyTimeout);
            longest = longest.compareTo(summarizing) >= 0 ? longest : summarizing;
            Duration lease = leaseDuration != null ? leaseDuration : longest.plusSeconds(30);
            if (lease.compareTo(longest) <= 0) {
                throw new IllegalStateException("leaseDuration (" + lease + ") must exceed replyTimeout (" + replyTimeout
                        + ")" + (tools.isEmpty() ? "" : " and toolTimeout (" + toolTimeout + ")"));
            }
            return new TurnService(new TurnSettings(store, chosen, replyTimeout, maxProviderAttempts, retryBackoff,
                    windowMessages, windowChars, lease, busyTimeout, mode, clock, tools,
                    tools.values().stream().map(Tool::spec).toList(), toolTimeout, maxToolAttempts, maxSteps, hook,
                    listeners.isEmpty() ? Observers.NONE : new Observers(listeners, exposeSessionIds), compaction,
                    draftInterval, draftBytes, deltaGapTimeout, busyPolicy, queueTimeout));
        }
    }
}
