package io.github.conversationstore;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * Where a forked conversation came from: its parent session, the parent's life (a conversation
 * deleted and begun again under the same session id is another life) and the sequence number at
 * which it branched off. The fork's first {@code atSequence} messages are the parent's messages
 * {@code 0 .. atSequence - 1} of that life, read by reference (nothing is copied); its own messages
 * start at sequence number {@code atSequence}. See {@link ConversationStore#fork(String, long, String)}.
 *
 * @param sessionId the parent session
 * @param life an opaque id of the parent's life (in MongoDB the hex form of the head's generation)
 * @param atSequence how many of the parent's messages the fork shares, 0 or more
 * @since 0.3
 */
public record ForkOrigin(@JsonProperty("sessionId") String sessionId, @JsonProperty("life") String life,
        @JsonProperty("atSequence") long atSequence) {

    /**
     * Validates the components.
     *
     * @param sessionId see the class comment
     * @param life see the class comment
     * @param atSequence see the class comment
     * @throws NullPointerException if {@code sessionId} or {@code life} is null
     * @throws IllegalArgumentException if {@code atSequence} is negative
     */
    @JsonCreator
    public ForkOrigin {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(life, "life");
        Checks.notNegative("atSequence", atSequence);
    }
}
