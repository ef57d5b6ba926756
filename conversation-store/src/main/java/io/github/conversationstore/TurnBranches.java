package io.github.conversationstore;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * Regenerate and edit as new branches: find the turn's user message, fork the conversation just
 * before it (under the lease of the branch, which the fork creates), then run a turn on the branch
 * with the same or the new text under the new turn id. The branch's session id is derived from
 * the session, the turn, the new turn id and the kind, so a call repeated with the same new turn
 * id finds the same fork and the same turn (replayed).
 */
final class TurnBranches {
    /** Messages read per page when looking for a turn from the end of the conversation. */
    private static final int PAGE = 200;

    private TurnBranches() {}

    /** Where a turn's user message is, its text, and whether its reply is stored. */
    private record Found(long userSequence, String userText, boolean replied) {}

    /**
     * Finds the turn, forks under the branch's lease (held for {@code lease}, the turn service's:
     * a process that dies holding it locks the branch out no longer than a turn's lease would),
     * then runs the branch's turn through {@code respond}.
     */
    static Branch branch(ConversationStore store, String kind, String sessionId, String turnId, String newText,
            String newTurnId, Duration lease, Function<TurnRequest, TurnResult> respond) {
        Checks.sessionId(sessionId);
        Checks.identifier("turnId", turnId, Checks.MAX_ID_LENGTH);
        Checks.identifier("newTurnId", newTurnId, Checks.MAX_ID_LENGTH);
        if (newText != null) {
            // the same rules a turn's text follows, before anything is read or written
            new TurnRequest(sessionId, "en", newText, newTurnId);
        }
        if (newTurnId.equals(turnId)) {
            throw new IllegalArgumentException("newTurnId must differ from turnId ('" + turnId + "'): the branch's turn is"
                    + " a turn of its own");
        }
        ConversationHeader header = store.findConversation(sessionId).orElseThrow(() -> new IllegalArgumentException(
                "sessionId '" + sessionId + "' names no conversation"));
        String branchId = branchId(kind, sessionId, turnId, newTurnId);
        // a repeat after the fork was made: the branch is there (its parent may have gone on since)
        ConversationHeader made = store.findConversation(branchId).orElse(null);
        long at;
        String text;
        if (made != null && made.forkedFrom() != null && made.forkedFrom().sessionId().equals(sessionId)) {
            at = made.forkedFrom().atSequence();
            text = newText != null ? newText : store.readMessages(branchId, at, 1).stream().findFirst()
                    .map(StoredMessage::text).orElse(null);
            if (text == null) {
                text = find(store, sessionId, turnId, header.messageCount()).userText();
            }
        } else {
            Found found = find(store, sessionId, turnId, header.messageCount());
            if (!found.replied()) {
                String probe = "branch-probe-" + UUID.randomUUID();
                if (!store.tryAcquireLease(sessionId, header.language(), probe, Duration.ofMillis(1))) {
                    throw new IllegalStateException("turnId '" + turnId + "' of session '" + sessionId + "' is still running:"
                            + " wait for its reply before branching from it");
                }
                store.releaseLease(sessionId, probe);
            }
            at = found.userSequence();
            text = newText != null ? newText : found.userText();
            // the fork is made under the branch's lease (the fork takes a session holding only a lease)
            String holder = "branch-" + UUID.randomUUID();
            boolean leased = store.tryAcquireLease(branchId, header.language(), holder, lease);
            try {
                store.fork(sessionId, at, branchId);
            } finally {
                if (leased) {
                    store.releaseLease(branchId, holder);
                }
            }
        }
        TurnResult turn = respond.apply(new TurnRequest(branchId, header.language(), text, newTurnId));
        return new Branch(branchId, turn);
    }

    /** The turn's user message, read back from the end of the conversation a page at a time. */
    private static Found find(ConversationStore store, String sessionId, String turnId, long count) {
        String userId = StepIds.user(turnId);
        String replyId = StepIds.reply(turnId);
        boolean replied = false;
        for (long end = count; end > 0; end -= PAGE) {
            long from = Math.max(0, end - PAGE);
            List<StoredMessage> page = store.readMessages(sessionId, from, (int) (end - from));
            for (int i = page.size() - 1; i >= 0; i--) {
                StoredMessage m = page.get(i);
                if (replyId.equals(m.message().id())) {
                    replied = true;
                }
                if (userId.equals(m.message().id())) {
                    return new Found(m.sequence(), m.text(), replied);
                }
            }
        }
        throw new IllegalArgumentException("turnId '" + turnId + "' names no turn of session '" + sessionId + "'");
    }

    /**
     * The branch's session id: the session's own, with a suffix from a hash of the session, the
     * turn, the new turn id and the kind; a hash alone with a prefix when that would be too long.
     */
    static String branchId(String kind, String sessionId, String turnId, String newTurnId) {
        String hash;
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {kind, sessionId, turnId, newTurnId}) {
                digest.update(part.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
            }
            hash = HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        String suffix = "~" + kind + "-" + hash;
        return sessionId.length() + suffix.length() <= ConversationStore.MAX_SESSION_ID_LENGTH
                ? sessionId + suffix : "branch" + suffix;
    }
}
