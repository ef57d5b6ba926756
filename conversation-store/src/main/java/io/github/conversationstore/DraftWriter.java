package io.github.conversationstore;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Writes one provider attempt's streamed text to the turn's draft: at most once per
 * {@code draftInterval} or {@code draftBytes} of new text (the first delta at once), so a reply of
 * N tokens costs a bounded number of writes. A failed write is skipped (the draft lags; the final
 * reply is what counts); once another writer owns the draft this one stops writing; a stop asked
 * for ends the stream by throwing {@link StopStream} from the sink.
 */
final class DraftWriter implements Consumer<String> {
    /** Thrown into the provider's stream to stop it. */
    static final class StopStream extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final boolean truncated;

        StopStream(boolean truncated) {
            super(truncated ? "the reply reached the store's text limit" : "the turn was stopped", null, false, false);
            this.truncated = truncated;
        }

        /** Whether the stream was stopped at the store's text limit rather than by a stop. */
        boolean truncated() {
            return truncated;
        }
    }

    private final DraftStore drafts;
    private final String sessionId;
    private final String turnId;
    private final String holder;
    private final long intervalNanos;
    private final int bytes;
    private final StringBuilder text = new StringBuilder();
    private final int maxTextBytes;
    private final AtomicLong progress;
    private int attempt;
    private long lastWrite;
    private int pending;
    private long textBytes;
    private boolean writing;
    private boolean closed;
    private boolean truncated;
    private volatile boolean stop;
    /** Whether a {@link StopStream} was thrown to the provider. */
    private boolean thrown;

    /**
     * @param maxTextBytes the store's limit of a message's text: a stream that reaches it is ended
     *     there
     * @param progress set to {@link System#nanoTime()} at each delta
     */
    DraftWriter(DraftStore drafts, String sessionId, String turnId, String holder, TurnSettings settings,
            int maxTextBytes, AtomicLong progress) {
        this.drafts = drafts;
        this.sessionId = sessionId;
        this.turnId = turnId;
        this.holder = holder;
        this.intervalNanos = settings.draftInterval().toNanos();
        this.bytes = settings.draftBytes();
        this.maxTextBytes = maxTextBytes;
        this.progress = progress;
    }

    /** Starts this attempt's draft (its text empty); a stop asked for before is kept. */
    void begin() {
        if (drafts == null) {
            return;
        }
        try {
            Draft started = drafts.start(sessionId, turnId, holder);
            attempt = started.attempt();
            stop = started.stopRequested();
            writing = true;
        } catch (ConversationStoreException e) {
            writing = false; // streams without a draft; the reply is still stored once
        }
    }

    @Override
    public synchronized void accept(String delta) {
        if (closed) {
            throw new IllegalStateException("the stream of turn " + turnId + " has ended: a delta given after the"
                    + " provider returned (or after a stop) is not part of the reply");
        }
        if (stop) {
            thrown = true;
            throw new StopStream(truncated);
        }
        long now = System.nanoTime();
        progress.set(now);
        int deltaBytes = delta.getBytes(StandardCharsets.UTF_8).length;
        if (textBytes + deltaBytes > maxTextBytes) {
            // the reply could not be stored whole: it ends at the limit, on a code point boundary
            int i = 0;
            while (i < delta.length()) {
                int next = delta.offsetByCodePoints(i, 1);
                int n = delta.substring(i, next).getBytes(StandardCharsets.UTF_8).length;
                if (textBytes + n > maxTextBytes) {
                    break;
                }
                textBytes += n;
                i = next;
            }
            text.append(delta, 0, i);
            truncated = true;
            stop = true;
            thrown = true;
            throw new StopStream(true);
        }
        text.append(delta);
        textBytes += deltaBytes;
        pending += deltaBytes;
        if (writing && (lastWrite == 0 || now - lastWrite >= intervalNanos || pending >= bytes)) {
            lastWrite = now;
            pending = 0;
            try {
                switch (drafts.write(sessionId, turnId, holder, attempt, whole())) {
                    case STOP_REQUESTED -> {
                        stop = true;
                        thrown = true;
                        throw new StopStream(false);
                    }
                    case TAKEN_OVER -> writing = false;
                    default -> { }
                }
            } catch (ConversationStoreException e) {
                // the draft lags behind until the next write
            }
        }
    }

    /** The text so far, up to its last whole code point (see {@link #whole()}). */
    synchronized String text() {
        return whole();
    }

    /**
     * The text so far without a high surrogate at its end: a provider may split a character outside
     * the BMP between two deltas, and a draft (or a stopped reply) that ended in half of it would be
     * counted one code point too many by a follower, which would then miss the whole character.
     */
    private String whole() {
        int n = text.length();
        return n > 0 && Character.isHighSurrogate(text.charAt(n - 1)) ? text.substring(0, n - 1) : text.toString();
    }

    /**
     * The stop thrown to the provider, if one was: a provider whose stream swallowed it (some
     * streaming clients catch and log what a handler throws) and returned a reply anyway is still
     * stopped, and its reply is the text up to the stop.
     *
     * @return the stop, or null if none was thrown
     */
    synchronized StopStream thrownStop() {
        return thrown ? new StopStream(truncated) : null;
    }

    /** Ends the attempt's stream: later deltas are refused. */
    synchronized void close() {
        closed = true;
    }

    /**
     * After the reply is stored: the end marker, even when this writer stopped writing (its start
     * failed, or the answer of a write was lost): the reply was stored under the lease, so the marker
     * is right, and a follower waiting on the draft ends at once.
     */
    void end(long replySequence) {
        if (drafts != null) {
            try {
                drafts.end(sessionId, turnId, replySequence);
            } catch (ConversationStoreException e) {
                // the marker is missing: a follower finds the reply by the turn's step id
            }
        }
    }
}
