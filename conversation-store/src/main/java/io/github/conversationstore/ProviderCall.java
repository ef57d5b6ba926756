package io.github.conversationstore;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.StoreListener;
import io.github.conversationstore.spi.StreamingReplyProvider;
import io.github.conversationstore.spi.TokenUsage;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The provider calls of one turn: timed and retried by the {@link CallRunner}, observed, and for a
 * {@link StreamingReplyProvider} streamed into the turn's draft (one {@link DraftWriter} per
 * attempt). A stop asked for while it streams ends the call with {@link Stopped}.
 */
final class ProviderCall {
    /** The stream was stopped: its text so far becomes the turn's reply, marked stopped. */
    static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient String text;
        private final transient String reason;

        Stopped(String text, String reason) {
            super("stopped", null, false, false);
            this.text = text;
            this.reason = reason;
        }

        String text() {
            return text;
        }

        /** The reply's finish reason: {@link TurnService#STOPPED} or {@link TurnService#TRUNCATED}. */
        String reason() {
            return reason;
        }
    }

    private final TurnSettings settings;
    private final CallRunner runner;
    private final CallRunner.BeforeAttempt cover;
    private final String holder;
    /** Null when the provider does not stream or the store keeps no drafts. */
    private final DraftStore drafts;
    private final int maxTextBytes;
    private DraftWriter last;

    ProviderCall(TurnSettings settings, CallRunner runner, String holder, CallRunner.BeforeAttempt cover) {
        this.settings = settings;
        this.runner = runner;
        this.cover = cover;
        this.holder = holder;
        this.drafts = settings.provider() instanceof StreamingReplyProvider ? StoreGate.draftsOf(settings.store()) : null;
        this.maxTextBytes = settings.store() instanceof StoreGate gate ? gate.limits.maxTextBytes() : Integer.MAX_VALUE;
    }

    Reply call(ReplyRequest request) {
        int[] attempts = {0};
        Observers observers = settings.observers();
        String session = observers.session(request.sessionId());
        return observers.observe(() -> call(request, attempts), (reply, start, outcome) -> {
            Object model = reply == null ? null : reply.metadata().get(Message.MODEL);
            observers.emit(l -> l.onProviderCall(new StoreListener.ProviderCall(session, settings.provider().name(),
                    model instanceof String name ? name : "", attempts[0],
                    reply == null ? TokenUsage.UNKNOWN : reply.usage(), reply == null ? 0 : reply.toolCalls().size(),
                    Observers.startOf(start), Observers.since(start), outcome)));
        });
    }

    private Reply call(ReplyRequest request, int[] attempts) {
        boolean streams = settings.provider() instanceof StreamingReplyProvider;
        AtomicLong progress = new AtomicLong();
        Duration gap = streams && settings.deltaGapTimeout() != null
                && settings.deltaGapTimeout().compareTo(settings.replyTimeout()) < 0 ? settings.deltaGapTimeout() : null;
        CallRunner.Policy policy = new CallRunner.Policy("provider " + settings.provider().name(),
                settings.maxProviderAttempts(), settings.replyTimeout(), "no reply within " + settings.replyTimeout(),
                gap, gap == null ? null : progress::get);
        DraftWriter[] writer = {null};
        CallRunner.Outcome<Reply> called = runner.call(policy, null, attempt -> {
            progress.set(System.nanoTime());
            return () -> {
                if (!(settings.provider() instanceof StreamingReplyProvider streaming)) {
                    return settings.provider().reply(request);
                }
                DraftWriter w = new DraftWriter(drafts, request.sessionId(), request.turnId(), holder, settings,
                        maxTextBytes, progress);
                writer[0] = w;
                w.begin();
                Reply reply;
                try {
                    reply = streaming.stream(request, w);
                } finally {
                    w.close();
                }
                DraftWriter.StopStream swallowed = w.thrownStop();
                if (swallowed != null) {
                    throw swallowed; // the provider went on after it was told to stop
                }
                return reply;
            };
        }, failure -> new CallRunner.Failure(failure, stopped(failure) == null
                && failure instanceof ReplyProviderException e && e.isRetryable(), String.valueOf(failure.getMessage())),
                cover, attempts);
        last = writer[0];
        if (called.succeeded()) {
            if (called.value() == null) {
                throw failed(request, called.attempts(), false, "it returned null", null);
            }
            return called.value();
        }
        CallRunner.Failure failure = called.failure();
        DraftWriter.StopStream stop = stopped(failure.cause());
        if (stop != null) {
            throw new Stopped(writer[0] == null ? "" : writer[0].text(), stop.truncated() ? TurnService.TRUNCATED
                    : TurnService.STOPPED);
        }
        throw failed(request, called.attempts(), failure.retryable(), failure.reason(), failure.cause());
    }

    /** After the reply is stored: the draft's text goes, an end marker stays. */
    void ended(long replySequence) {
        if (last != null) {
            last.end(replySequence);
        }
    }

    /** The stop that ended the stream, found among the failure's causes, or null. */
    private static DraftWriter.StopStream stopped(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DraftWriter.StopStream stop) {
                return stop;
            }
        }
        return null;
    }

    ReplyFailedException failed(ReplyRequest request, int attempts, boolean retryable, String reason, Throwable cause) {
        return new ReplyFailedException("reply provider '" + settings.provider().name() + "' failed for session '"
                + request.sessionId() + "', turn " + request.turnId() + " after " + attempts + " attempt(s): " + reason
                + "; the user's message is stored: retry with the same turn id", request.turnId(), retryable, cause);
    }
}
