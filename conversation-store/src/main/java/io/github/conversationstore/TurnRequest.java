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
 * @param owner the conversation's owner, named by every append of the turn (see
 *     {@link AppendRequest.Builder#owner}), or null for none (since 0.3)
 * @since 0.1.0
 */
public record TurnRequest(String sessionId, String language, String userText, String turnId, Owner owner) {
    /** Longest turn id: room is left for the suffixes of the turn's two append ids. */
    static final int MAX_TURN_ID_LENGTH = 100;

    /**
     * Validates the components.
     *
     * @param sessionId the conversation's key
     * @param language the language tag
     * @param userText the user's text
     * @param turnId the turn id
     * @param owner the owner, or null
     * @throws NullPointerException if a component other than {@code owner} is null
     * @throws IllegalArgumentException if a component breaks the rules of {@link AppendRequest}
     */
    public TurnRequest {
        sessionId = Checks.sessionId(sessionId);
        language = Checks.language(language);
        Objects.requireNonNull(userText, "userText");
        turnId = Checks.identifier("turnId", turnId, MAX_TURN_ID_LENGTH);
    }

    /**
     * A turn of a conversation without an owner (the request of 0.2).
     *
     * @param sessionId the conversation's key
     * @param language the language tag
     * @param userText the user's text
     * @param turnId the turn id
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if a component breaks the rules of {@link AppendRequest}
     */
    public TurnRequest(String sessionId, String language, String userText, String turnId) {
        this(sessionId, language, userText, turnId, null);
    }

    /**
     * The same turn, its appends naming {@code owner}: the conversation is created with it, and a
     * conversation of another owner is refused with {@link OwnerMismatchException} before anything
     * is stored.
     *
     * @param owner the owner
     * @return the request with the owner
     * @since 0.3
     */
    public TurnRequest withOwner(Owner owner) {
        return new TurnRequest(sessionId, language, userText, turnId, Objects.requireNonNull(owner, "owner"));
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
