package io.github.conversationstore;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.StoreListener;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolException;
import io.github.conversationstore.spi.ToolInvocation;
import io.github.conversationstore.spi.ToolOutput;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One turn in progress: its lease holder, its stored user message, the steps stored so far and the
 * tokens used. Made for one {@link TurnService#respond(TurnRequest)} call and thrown away after it.
 * Not thread-safe (one caller's thread runs it).
 */
final class TurnRun {
    /** Messages read per page when a retried turn looks for what it stored before. */
    private static final int TURN_PAGE = 200;

    private final TurnSettings settings;
    private final CallRunner runner;
    /** Null without compaction. */
    private final Compactor compactor;
    private final ProviderCall provider;
    private final TurnRequest turn;
    private final ConversationStore store;
    private final AbandonedLeases abandoned;
    private final String holder;
    private final List<StoredMessage> steps = new ArrayList<>();
    private final TurnLease lease;
    private StoredMessage storedUser;
    private TokenUsage usage = TokenUsage.UNKNOWN;
    /** Whether the store did not answer: then the lease is left to expire. */
    private boolean storeUnreachable;

    TurnRun(TurnSettings settings, CallRunner runner, Compactor compactor, AbandonedLeases abandoned, TurnRequest turn) {
        this.settings = settings;
        this.compactor = compactor;
        this.runner = runner;
        this.turn = turn;
        this.store = settings.store();
        this.abandoned = abandoned;
        this.holder = abandoned.holderFor(turn);
        this.lease = new TurnLease(settings, turn, holder);
        this.provider = new ProviderCall(settings, runner, holder, attempt -> lease.cover(settings.replyTimeout()));
    }

    /** The turn's hold on its session. */
    TurnLease lease() {
        return lease;
    }

    /** Takes the session's lease, runs the turn, and gives the lease back. */
    TurnResult run() {
        try {
            lease.acquire();
        } catch (RuntimeException | Error e) {
            // busy, or the store did not answer (the take may have applied): keep the holder for a resume
            abandoned.abandoned(turn, holder);
            throw e;
        }
        try {
            return runUnderLease();
        } catch (ConversationStoreUnavailableException e) {
            // the store did not answer within its deadline: the release would wait a second one, so
            // it is left to the lease's expiry
            storeUnreachable = true;
            throw e;
        } finally {
            if (storeUnreachable || !lease.release()) {
                // a resume of this turn here takes this (dead) holder over, and so the lease at once
                abandoned.abandoned(turn, holder);
            }
        }
    }

    private TurnResult runUnderLease() {
        String replyId = StepIds.reply(turn.turnId());
        Message user = new Message(StepIds.user(turn.turnId()), Role.USER, turn.userText(), settings.clock().instant(),
                Map.of());
        // recognized however many appends came since: a turn retried late is replayed, never run again
        long sent = System.nanoTime();
        AppendResult appended = store.appendMessages(owned(AppendRequest.builder(turn.sessionId(), turn.language()))
                .appendId(user.id()).leaseHolder(holder).renewLease(settings.leaseDuration()).dedupBeyondWindow(true)
                .messages(user).build());
        lease.extendedAt(sent);
        storedUser = new StoredMessage(appended.firstSequence(), user);
        if (appended.duplicate()) {
            // a retried turn: resume after what its earlier calls stored
            List<StoredMessage> stored = turnMessages(appended.firstSequence(), replyId);
            if (!stored.isEmpty() && stored.get(0).message().id().equals(user.id())) {
                storedUser = stored.remove(0);
            }
            if (!stored.isEmpty() && stored.get(stored.size() - 1).message().id().equals(replyId)) {
                StoredMessage reply = stored.remove(stored.size() - 1);
                return new TurnResult(turn.turnId(), storedUser, reply, true, TokenUsage.UNKNOWN, stored);
            }
            steps.addAll(stored);
        }
        List<StoredMessage> window = window(storedUser.sequence());
        int step = (int) steps.stream().filter(m -> m.role() == Role.ASSISTANT).count();
        int windowStep = step;
        while (true) {
            runPendingCalls(step);
            if (compactor != null && step != windowStep) {
                // the token window counts the turn's steps stored since: read it again, so that
                // window, user message and steps stay within the budget together
                window = window(storedUser.sequence());
                windowStep = step;
            }
            if (step >= settings.maxSteps()) {
                throw new ReplyFailedException("turn " + turn.turnId() + " of session '" + turn.sessionId()
                        + "': the model still asked for tools after " + settings.maxSteps() + " steps (maxSteps); every"
                        + " call it made has its result stored, and the conversation stays valid", turn.turnId(), false,
                        null);
            }
            ReplyRequest request = new ReplyRequest(turn.sessionId(), turn.language(), window, storedUser.message(),
                    settings.mode(), turn.turnId(), steps, settings.toolSpecs());
            Reply reply;
            try {
                reply = provider.call(request);
            } catch (ProviderCall.Stopped stopped) {
                // stopped while it streamed: the text so far is the reply, marked stopped
                Step stored;
                try {
                    stored = appendStep(new Message(replyId, Role.ASSISTANT, List.of(Part.text(stopped.text())),
                            settings.clock().instant(), Map.of(), Map.of(Message.FINISH_REASON, stopped.reason())));
                } catch (IllegalArgumentException tooLarge) {
                    throw provider.failed(request, 1, false, "its partial reply could not be stored: "
                            + tooLarge.getMessage(), tooLarge);
                }
                provider.ended(stored.message().sequence());
                return new TurnResult(turn.turnId(), storedUser, stored.message(), stored.duplicate(), usage, steps);
            }
            usage = new TokenUsage(usage.inputTokens() + reply.usage().inputTokens(),
                    usage.outputTokens() + reply.usage().outputTokens());
            step++;
            boolean last = reply.toolCalls().isEmpty();
            String id = last ? replyId : StepIds.calls(turn.turnId(), step);
            Message message;
            try {
                message = new Message(id, Role.ASSISTANT, reply.parts(), settings.clock().instant(), reply.attributes(),
                        reply.storedMetadata());
            } catch (IllegalArgumentException e) {
                throw provider.failed(request, 1, false, "it returned an unusable reply: " + e.getMessage(), e);
            }
            // fenced: if this turn lost its lease (a pause longer than the lease), the write is
            // refused rather than stored after a later turn's messages; a fenced append needs no
            // renewal before it (the fence checks the holder, not the time)
            Step stored;
            try {
                stored = appendStep(message);
            } catch (IllegalArgumentException tooLarge) {
                // over a size limit of the store: nothing was stored, and asking again would not help
                throw provider.failed(request, 1, false, "its reply could not be stored: " + tooLarge.getMessage(), tooLarge);
            }
            settings.hook().accept(last ? TurnService.STEP_REPLY_STORED : TurnService.STEP_CALLS_STORED);
            if (last) {
                provider.ended(stored.message().sequence());
                if (compactor != null) {
                    compact(true);
                }
                return new TurnResult(turn.turnId(), storedUser, stored.message(), stored.duplicate(), usage, steps);
            }
            steps.add(stored.message());
        }
    }

    /** The builder naming the turn's owner, if it has one. */
    private AppendRequest.Builder owned(AppendRequest.Builder builder) {
        return turn.owner() == null ? builder : builder.owner(turn.owner());
    }

    /** A stored step, and whether an earlier call had stored it. */
    private record Step(StoredMessage message, boolean duplicate) {}

    /** Appends one step of the turn under its own id, fenced; a repeat gives back the stored message. */
    private Step appendStep(Message message) {
        long sent = System.nanoTime();
        AppendResult result = store.appendMessages(owned(AppendRequest.builder(turn.sessionId(), turn.language()))
                .appendId(message.id()).leaseHolder(holder).renewLease(settings.leaseDuration()).messages(message)
                .build());
        lease.extendedAt(sent); // a fenced append that renews extends the lease, a duplicate too
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
    private List<StoredMessage> turnMessages(long userSequence, String replyId) {
        List<StoredMessage> out = new ArrayList<>();
        long from = userSequence;
        while (true) {
            List<StoredMessage> page = store.readMessages(turn.sessionId(), from, TURN_PAGE);
            for (StoredMessage m : page) {
                if (StepIds.isOfTurn(turn.turnId(), m.message().id())) {
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
    private void runPendingCalls(int step) {
        int callsAt = -1;
        for (int i = steps.size() - 1; i >= 0 && callsAt < 0; i--) {
            if (steps.get(i).role() == Role.ASSISTANT) {
                callsAt = i;
            }
        }
        if (callsAt < 0) {
            return;
        }
        Set<String> answered = new HashSet<>();
        for (StoredMessage m : steps.subList(callsAt + 1, steps.size())) {
            m.message().toolResults().forEach(r -> answered.add(r.callId()));
        }
        List<Part.ToolCall> calls = steps.get(callsAt).message().toolCalls();
        for (int i = 0; i < calls.size(); i++) {
            Part.ToolCall call = calls.get(i);
            if (answered.contains(call.callId())) {
                continue;
            }
            Part.ToolResult result = runTool(step, call);
            settings.hook().accept(TurnService.STEP_TOOL_RAN);
            String id = StepIds.result(turn.turnId(), step, i);
            Step stored;
            try {
                stored = appendStep(toolMessage(id, result));
            } catch (IllegalArgumentException tooLarge) {
                // nothing was stored: say so to the model rather than fail the turn on every retry
                stored = appendStep(toolMessage(id, Part.ToolResult.error(call.callId(), call.name(),
                        "the tool's result could not be stored: " + tooLarge.getMessage())));
            }
            steps.add(stored.message());
            settings.hook().accept(TurnService.STEP_RESULT_STORED);
        }
    }

    private Message toolMessage(String id, Part.ToolResult result) {
        return new Message(id, Role.TOOL, List.of(result), settings.clock().instant(), Map.of(), Map.of());
    }

    /**
     * Runs one call with the tool's timeout and retries; a failure the model should read becomes an
     * error result, one that may pass fails the turn (resumable by its id).
     */
    private Part.ToolResult runTool(int step, Part.ToolCall call) {
        int[] attempts = {0};
        Observers observers = settings.observers();
        String session = observers.session(turn.sessionId());
        return observers.observe(() -> runTool(step, call, attempts), (result, start, outcome) ->
                observers.emit(l -> l.onToolCall(new StoreListener.ToolCall(session, call.name(),
                        settings.tools().containsKey(call.name()), attempts[0], Observers.startOf(start),
                        Observers.since(start), result != null && result.error() ? "error_result" : outcome))));
    }

    private Part.ToolResult runTool(int step, Part.ToolCall call, int[] attempts) {
        Tool tool = settings.tools().get(call.name());
        if (tool == null) {
            return Part.ToolResult.error(call.callId(), call.name(), "no tool named '" + call.name()
                    + "'; the tools are " + settings.tools().keySet());
        }
        ToolInvocation first = invocation(step, call, 1);
        if (!first.argumentsAreJsonObject()) {
            return Part.ToolResult.error(call.callId(), call.name(), "the arguments are not a JSON object: "
                    + call.arguments());
        }
        CallRunner.Policy policy = new CallRunner.Policy("tool " + call.name(), settings.maxToolAttempts(),
                settings.toolTimeout(), "no result within " + settings.toolTimeout());
        CallRunner.Outcome<ToolOutput> ran = runner.call(policy, turn.sessionId() + "\u0000" + first.idempotencyKey(),
                attempt -> {
                    ToolInvocation invocation = invocation(step, call, attempt);
                    return () -> tool.run(invocation);
                }, TurnRun::toolFailure, attempt -> lease.cover(settings.toolTimeout()), attempts);
        if (ran.succeeded()) {
            ToolOutput output = ran.value();
            return output == null
                    ? Part.ToolResult.error(call.callId(), call.name(), "the tool returned nothing")
                    : new Part.ToolResult(call.callId(), call.name(), output.content(), output.json(), false);
        }
        CallRunner.Failure failure = ran.failure();
        if (!failure.retryable()) {
            return Part.ToolResult.error(call.callId(), call.name(), failure.reason());
        }
        throw new ReplyFailedException("tool '" + call.name() + "' (call " + call.callId() + ") of turn " + turn.turnId()
                + " in session '" + turn.sessionId() + "' failed after " + ran.attempts() + " attempt(s): "
                + failure.reason() + "; the turn's steps so far are stored: retry with the same turn id to run the call"
                + " again with the same idempotency key", turn.turnId(), true, failure.cause());
    }

    private ToolInvocation invocation(int step, Part.ToolCall call, int attempt) {
        return new ToolInvocation(turn.sessionId(), turn.turnId(), step, call.callId(), call.name(), call.arguments(),
                attempt);
    }

    private static CallRunner.Failure toolFailure(Throwable failure) {
        if (failure instanceof ToolException e) {
            return new CallRunner.Failure(e, e.isRetryable(), String.valueOf(e.getMessage()));
        }
        return new CallRunner.Failure(failure, false, "the tool failed: " + failure.getClass().getSimpleName() + ": "
                + failure.getMessage());
    }

    /** What the provider sees before the user message: the token window, or the count and character window. */
    private List<StoredMessage> window(long userSequence) {
        return compactor != null ? compactor.window(turn.sessionId(), userSequence)
                : PromptChars.window(store, turn.sessionId(), userSequence, settings.windowMessages(), settings.windowChars());
    }

    /** Compacts if due, under the lease; with {@code quietly} a failure is left for the next turn. */
    private Optional<Summary> compact(boolean quietly) {
        try {
            return compactor.compact(turn.sessionId(), turn.language(), attempt -> lease.cover(compactor.timeout()));
        } catch (RuntimeException e) {
            settings.hook().accept(TurnService.STEP_COMPACTION_FAILED);
            if (quietly) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Takes the lease, compacts if due, and gives the lease back (for {@link TurnService#compact}). */
    Optional<Summary> compact() {
        lease.acquire();
        try {
            return compact(false);
        } finally {
            lease.release();
        }
    }
}
