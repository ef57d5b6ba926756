package io.github.conversationstore.spi;

import io.github.conversationstore.Message;
import io.github.conversationstore.StoredMessage;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link ReplyProvider} gets to produce one reply.
 *
 * @param sessionId the conversation's key
 * @param language the conversation's language (BCP 47 tag)
 * @param window the most recent messages before the user message, oldest first, as configured on
 *     the turn service (a message count and/or a character budget); immutable
 * @param userMessage the new user message, already stored
 * @param mode what kind of reply is wanted, for example {@value #CONVERSATION}
 * @param turnId the turn's id: the same for every retry of the same turn
 * @since 0.1.0
 */
public record ReplyRequest(
        String sessionId, String language, List<StoredMessage> window, Message userMessage, String mode, String turnId) {

    /** The default mode: continue the conversation. */
    public static final String CONVERSATION = "conversation";

    /**
     * Validates and copies the components.
     *
     * @param sessionId the conversation's key
     * @param language the language tag
     * @param window the recent messages
     * @param userMessage the new user message
     * @param mode the mode
     * @param turnId the turn id
     * @throws NullPointerException if a component is null
     */
    public ReplyRequest {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(language, "language");
        window = List.copyOf(Objects.requireNonNull(window, "window"));
        Objects.requireNonNull(userMessage, "userMessage");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(turnId, "turnId");
    }
}
