package io.github.conversationstore.spi;

/**
 * Receives a turn's reply text as it streams, for
 * {@link io.github.conversationstore.TurnService#followTurn}.
 *
 * @since 0.3
 */
@FunctionalInterface
public interface ReplyFollower {

    /**
     * New text of the reply, right after what came before.
     *
     * @param text the new text, never empty
     */
    void delta(String text);

    /**
     * The reply starts again from its beginning: the provider was called again (a retry, a tool
     * step, or a resume of the turn in another process), and the deltas that follow replace
     * everything given so far. By default nothing happens.
     */
    default void restarted() {}
}
