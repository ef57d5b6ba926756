package io.github.conversationstore;

import java.util.Objects;

/**
 * A new branch of a conversation made by {@link TurnService#regenerate(String, String, String)} or
 * {@link TurnService#edit(String, String, String, String)}: the fork's session id and the turn run
 * on it. The original conversation is left as it was.
 *
 * @param sessionId the branch: a fork of the original conversation (see
 *     {@link ConversationStore#fork(String, long, String)})
 * @param turn the turn run on the branch
 * @since 0.3
 */
public record Branch(String sessionId, TurnResult turn) {

    /**
     * Checks the components.
     *
     * @param sessionId see the class comment
     * @param turn see the class comment
     * @throws NullPointerException if a component is null
     */
    public Branch {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(turn, "turn");
    }
}
