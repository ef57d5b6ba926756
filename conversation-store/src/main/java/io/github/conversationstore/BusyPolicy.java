package io.github.conversationstore;

/**
 * What a turn does when another turn of its session is running (set with
 * {@link TurnService.Builder#busyPolicy}). Every policy keeps the conversation's order: the new
 * user message is stored only once the session's lease is the new turn's, after the running
 * turn's reply.
 *
 * @since 0.3
 */
public enum BusyPolicy {
    /**
     * Waits up to {@link TurnService.Builder#busyTimeout} for the running turn to end, then fails
     * with {@link ConversationBusyException}; nothing of the new turn is stored. The default.
     */
    REJECT,
    /**
     * Waits for the running turn to end (up to {@link TurnService.Builder#queueTimeout}), then
     * answers. The turns of one session queued in one {@link TurnService} are answered in the order
     * they were called; across processes, in the order they take the session's lease.
     */
    QUEUE,
    /**
     * Stops the running turn if it streams (its text so far is stored as its reply, marked
     * {@link TurnService#STOPPED}, as {@link TurnService#stop} does), then answers as
     * {@link #QUEUE} does. A turn that is not streaming (a tool step, a provider that does not
     * stream) is stopped when it next streams, or runs to its end.
     */
    INTERRUPT
}
