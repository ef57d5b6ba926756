package io.github.conversationstore;

import java.nio.charset.StandardCharsets;
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

        StopStream() {
            super("the turn was stopped", null, false, false);
        }
    }

    private final DraftStore drafts;
    private final String sessionId;
    private final String turnId;
    private final String holder;
    private final long intervalNanos;
    private final int bytes;
    private final StringBuilder text = new StringBuilder();
    private int attempt;
    private long lastWrite;
    private int pending;
    private boolean writing;
    private volatile boolean stop;

    DraftWriter(DraftStore drafts, String sessionId, String turnId, String holder, TurnSettings settings) {
        this.drafts = drafts;
        this.sessionId = sessionId;
        this.turnId = turnId;
        this.holder = holder;
        this.intervalNanos = settings.draftInterval().toNanos();
        this.bytes = settings.draftBytes();
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
        if (stop) {
            throw new StopStream();
        }
        text.append(delta);
        pending += delta.getBytes(StandardCharsets.UTF_8).length;
        long now = System.nanoTime();
        if (writing && (lastWrite == 0 || now - lastWrite >= intervalNanos || pending >= bytes)) {
            lastWrite = now;
            pending = 0;
            try {
                switch (drafts.write(sessionId, turnId, holder, attempt, text.toString())) {
                    case STOP_REQUESTED -> {
                        stop = true;
                        throw new StopStream();
                    }
                    case TAKEN_OVER -> writing = false;
                    default -> { }
                }
            } catch (ConversationStoreException e) {
                // the draft lags behind until the next write
            }
        }
    }

    synchronized String text() {
        return text.toString();
    }

    void end(long replySequence) {
        if (drafts != null && writing) {
            try {
                drafts.end(sessionId, turnId, replySequence);
            } catch (ConversationStoreException e) {
                // the marker is missing: a follower finds the reply by the turn's step id
            }
        }
    }
}
