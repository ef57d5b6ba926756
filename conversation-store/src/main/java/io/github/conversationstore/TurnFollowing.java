package io.github.conversationstore;

import io.github.conversationstore.spi.ReplyFollower;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Follows a turn's draft from any process (the draft is in the store): it reads the draft, then
 * waits for a change (a change stream, where the server offers them) or polls with backoff (10 ms
 * doubling to 250 ms, back to 10 ms after news), and reads it again. Offsets count Unicode code points of the
 * reply's text.
 */
final class TurnFollowing {
    private static final long FIRST_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private TurnFollowing() {}

    static Optional<StoredMessage> follow(ConversationStore store, DraftStore drafts, String sessionId, String turnId,
            long fromOffset, ReplyFollower follower, Duration timeout) {
        try (DraftStore.Changes changes = drafts.changes(sessionId, turnId)) {
            return follow(store, drafts, changes, sessionId, turnId, fromOffset, follower, timeout);
        }
    }

    private static Optional<StoredMessage> follow(ConversationStore store, DraftStore drafts, DraftStore.Changes changes,
            String sessionId, String turnId, long fromOffset, ReplyFollower follower, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long offset = fromOffset;
        int attempt = -1;
        long pause = FIRST_NANOS;
        while (true) {
            Optional<Draft> read = drafts.read(sessionId, turnId);
            if (read.isPresent()) {
                Draft draft = read.get();
                if (draft.ended()) {
                    List<StoredMessage> reply = store.readMessages(sessionId, draft.replySequence(), 1);
                    if (!reply.isEmpty() && reply.get(0).message().id().equals(StepIds.reply(turnId))) {
                        String text = reply.get(0).text();
                        boolean restarted = attempt != -1 && attempt != draft.attempt();
                        if (!restarted && offset > text.codePointCount(0, text.length())) {
                            throw new IllegalArgumentException("fromOffset " + fromOffset + " is beyond the reply of turn "
                                    + turnId + ", which has " + text.codePointCount(0, text.length())
                                    + " code points: pass an offset the reply reached");
                        }
                        emit(follower, text, offset, restarted);
                        return Optional.of(reply.get(0));
                    }
                    return Optional.empty(); // the session was deleted since
                }
                boolean restarted = attempt != -1 && attempt != draft.attempt();
                attempt = draft.attempt();
                long before = offset;
                offset = emit(follower, draft.text(), restarted ? 0 : offset, restarted);
                pause = offset != before || restarted ? FIRST_NANOS : Math.min(MAX_NANOS, pause * 2);
            } else {
                pause = Math.min(MAX_NANOS, pause * 2);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || Thread.currentThread().isInterrupted()) {
                return Optional.empty();
            }
            // with change streams a change wakes the follower: it need not poll often
            changes.await(Math.min(changes.live() ? MAX_NANOS : pause, left));
        }
    }

    /** The store's drafts; refused for a store that is not one of this library's. */
    static DraftStore drafts(ConversationStore store) {
        if (store instanceof StoreGate gate) {
            return gate.drafts();
        }
        throw new IllegalStateException("the store keeps no drafts: " + store.getClass().getName());
    }

    /** Gives the text after {@code offset} code points; returns the offset after it. */
    private static long emit(ReplyFollower follower, String text, long offset, boolean restarted) {
        int length = text.codePointCount(0, text.length());
        if (restarted) {
            follower.restarted();
            offset = 0;
        }
        if (offset < length) {
            follower.delta(text.substring(text.offsetByCodePoints(0, (int) offset)));
            return length;
        }
        return offset;
    }
}
