package io.github.conversationstore;

import java.util.Objects;

/**
 * One turn of a conversation: a user message to store and answer.
 *
 * @param sessionId the conversation's key
 * @param language the conversation's language (BCP 47)
 * @param userText the user's message text
 * @param turnId the turn's idempotency key: retrying a turn with the same id stores its user
 *     message and its reply once each; at most 100 characters, no control characters
 * @since 0.1.0
 */
public record TurnRequest(String sessionId, String language, String userText, String turnId) {
    /** Longest turn id: room is left for the suffixes of the turn's two append ids. */
    static final int MAX_TURN_ID_LENGTH = 100;

    /**
     * Validates the components.
     *
     * @param sessionId the conversation's key
     * @param language the language tag
     * @param userText the user's text
     * @param turnId the turn id
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if a component breaks the rules of {@link AppendRequest}
     */
    public TurnRequest {
        sessionId = Checks.sessionId(sessionId);
        language = Checks.language(language);
        Objects.requireNonNull(userText, "userText");
        turnId = Checks.identifier("turnId", turnId, MAX_TURN_ID_LENGTH);
    }

    /**
     * Creates a request with a new random turn id.
     *
     * @param sessionId the conversation's key
     * @param language the language tag
     * @param userText the user's text
     * @return the request
     */
    public static TurnRequest of(String sessionId, String language, String userText) {
        return new TurnRequest(sessionId, language, userText, AppendRequest.newAppendId());
    }
}
