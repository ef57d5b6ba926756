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
 *
 * <p>The draft's end marker points at the stored reply. A turn can also end without one: its
 * provider does not stream (no draft at all), the marker's write failed, or the draft's start was
 * lost. So after every {@value #LOOKUP_MILLIS} ms without news the follower looks for the turn's
 * reply by its step id among the conversation's newest {@value #LOOKUP_MESSAGES} messages. A draft
 * that was seen and is gone (the conversation was deleted, or the draft expired) ends the
 * following: with the stored reply if there is one, else empty. When the stored reply does not
 * continue the text handed on so far (it is another attempt's, or the provider's final text differs
 * from its deltas), the follower hears {@link ReplyFollower#restarted()} and the whole reply.
 */
final class TurnFollowing {
    private static final long FIRST_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    static final long LOOKUP_MILLIS = 1000;
    private static final long LOOKUP_NANOS = TimeUnit.MILLISECONDS.toNanos(LOOKUP_MILLIS);
    static final int LOOKUP_MESSAGES = 64;

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
        // the text of the draft last handed on from, or null if no draft was seen
        String shown = null;
        long pause = FIRST_NANOS;
        long lookAt = System.nanoTime() + LOOKUP_NANOS;
        while (true) {
            Optional<Draft> read = drafts.read(sessionId, turnId);
            boolean news = false;
            if (read.isPresent()) {
                Draft draft = read.get();
                if (draft.ended()) {
                    List<StoredMessage> reply = store.readMessages(sessionId, draft.replySequence(), 1);
                    if (!reply.isEmpty() && reply.get(0).message().id().equals(StepIds.reply(turnId))) {
                        boolean restarted = attempt != -1 && attempt != draft.attempt();
                        return Optional.of(finish(follower, turnId, reply.get(0), fromOffset, offset, shown, restarted));
                    }
                    return Optional.empty(); // the session was deleted since
                }
                boolean restarted = attempt != -1 && attempt != draft.attempt();
                attempt = draft.attempt();
                long before = offset;
                offset = emit(follower, draft.text(), restarted ? 0 : offset, restarted);
                shown = draft.text();
                news = offset != before || restarted;
            } else if (attempt != -1) {
                // seen, and gone: the conversation was deleted (or the draft expired)
                Optional<StoredMessage> reply = storedReply(store, sessionId, turnId);
                if (reply.isEmpty()) {
                    return reply;
                }
                return Optional.of(finish(follower, turnId, reply.get(), fromOffset, offset, shown, false));
            }
            long now = System.nanoTime();
            if (news) {
                pause = FIRST_NANOS;
                lookAt = now + LOOKUP_NANOS;
            } else {
                pause = Math.min(MAX_NANOS, pause * 2);
                if (now - lookAt >= 0) {
                    // no news for a while: the turn may have ended without an end marker
                    Optional<StoredMessage> reply = storedReply(store, sessionId, turnId);
                    if (reply.isPresent()) {
                        return Optional.of(finish(follower, turnId, reply.get(), fromOffset, offset, shown, false));
                    }
                    lookAt = now + LOOKUP_NANOS;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || Thread.currentThread().isInterrupted()) {
                return Optional.empty();
            }
            // with change streams a change wakes the follower: it need not poll often
            changes.await(Math.min(changes.live() ? MAX_NANOS : pause, left));
        }
    }

    /** The turn's stored reply among the conversation's newest messages, found by its step id. */
    private static Optional<StoredMessage> storedReply(ConversationStore store, String sessionId, String turnId) {
        String id = StepIds.reply(turnId);
        List<StoredMessage> recent = store.recentMessages(sessionId, LOOKUP_MESSAGES);
        for (int i = recent.size() - 1; i >= 0; i--) {
            if (recent.get(i).message().id().equals(id)) {
                return Optional.of(recent.get(i));
            }
        }
        return Optional.empty();
    }

    /**
     * Hands on the rest of the stored reply after {@code offset}; from its start, after
     * {@link ReplyFollower#restarted()}, when it is another attempt's or does not continue the text
     * handed on from the draft ({@code shown}, null if none).
     *
     * @throws IllegalArgumentException if the caller's {@code fromOffset} is beyond the reply
     */
    private static StoredMessage finish(ReplyFollower follower, String turnId, StoredMessage reply, long fromOffset, long offset,
            String shown, boolean restarted) {
        String text = reply.text();
        int length = text.codePointCount(0, text.length());
        if (!restarted && shown != null) {
            // what was handed on is the draft's first `offset` code points (or all of it)
            int handed = (int) Math.min(offset, shown.codePointCount(0, shown.length()));
            restarted = !text.startsWith(shown.substring(0, shown.offsetByCodePoints(0, handed)));
        }
        if (!restarted && offset > length) {
            throw new IllegalArgumentException("fromOffset " + fromOffset + " is beyond the reply of turn "
                    + turnId + ", which has " + length
                    + " code points: pass an offset the reply reached");
        }
        emit(follower, text, offset, restarted);
        return reply;
    }

    /** The store's drafts; refused for a store that is not one of this library's. */
    static DraftStore drafts(ConversationStore store) {
        DraftStore drafts = StoreGate.draftsOf(store);
        if (drafts != null) {
            return drafts;
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
