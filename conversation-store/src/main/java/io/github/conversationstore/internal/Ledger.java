package io.github.conversationstore.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What an adapter knows of each message object, per conversation: read from the store, stored by
 * an append that succeeded, or sent by one whose outcome is unknown (with the request to send
 * again). Message objects are held weakly and by identity ({@link WeakIdentityMap}). Internal: may
 * change without notice. Thread-safe (every method locks the ledger).
 *
 * @param <M> the framework's message type
 * @param <S> what is known of one message in one conversation
 * @since 0.2.0
 */
public final class Ledger<M, S> {
    private final WeakIdentityMap<M, Map<String, S>> entries = new WeakIdentityMap<>();

    /**
     * Creates an empty ledger.
     *
     * @since 0.2.0
     */
    public Ledger() {}

    /**
     * Returns what is known of this message object in this conversation.
     *
     * @param message the message object
     * @param conversation the conversation's id
     * @return what is known, or null if nothing is
     * @since 0.2.0
     */
    public synchronized S get(M message, String conversation) {
        Map<String, S> byConversation = entries.get(message);
        return byConversation == null ? null : byConversation.get(Objects.requireNonNull(conversation, "conversation"));
    }

    /**
     * Records what is known of this message object in this conversation, replacing what was.
     *
     * @param message the message object, held weakly
     * @param conversation the conversation's id
     * @param state what is known (it must not refer to the message)
     * @since 0.2.0
     */
    public synchronized void put(M message, String conversation, S state) {
        Objects.requireNonNull(conversation, "conversation");
        Objects.requireNonNull(state, "state");
        Map<String, S> byConversation = entries.get(message);
        if (byConversation == null) {
            byConversation = new HashMap<>(2);
            entries.put(message, byConversation);
        }
        byConversation.put(conversation, state);
    }

    /**
     * Forgets everything known of the conversation's messages (after the conversation was erased):
     * its message objects are new to it again. Costs a pass over the ledger.
     *
     * @param conversation the conversation's id
     * @since 0.2.0
     */
    public synchronized void forget(String conversation) {
        Objects.requireNonNull(conversation, "conversation");
        entries.removeIf((message, byConversation) -> {
            byConversation.remove(conversation);
            return byConversation.isEmpty();
        });
    }

    /**
     * Returns how many message objects the ledger holds something of.
     *
     * @return the number of message objects
     * @since 0.2.0
     */
    public synchronized int size() {
        return entries.size();
    }
}
