package io.github.conversationstore.spi;

import java.util.Objects;

/**
 * One call of a {@link Tool}, as the model asked for it.
 *
 * @param sessionId the conversation's key
 * @param turnId the turn's id
 * @param callId the call's id, as the model gave it
 * @param name the tool's name
 * @param arguments the call's arguments: JSON text of an object, as the model wrote it
 * @param attempt 1 for the first run of this call in this process, 2 for its first retry, ...
 * @since 0.2.0
 */
public record ToolInvocation(String sessionId, String turnId, String callId, String name, String arguments, int attempt) {

    /**
     * Validates the components.
     *
     * @param sessionId the conversation's key
     * @param turnId the turn's id
     * @param callId the call's id
     * @param name the tool's name
     * @param arguments the arguments
     * @param attempt the attempt, 1 or more
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if {@code attempt} is below 1
     */
    public ToolInvocation {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(turnId, "turnId");
        Objects.requireNonNull(callId, "callId");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arguments, "arguments");
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be at least 1, was " + attempt);
        }
    }

    /**
     * Returns the key that names this call in every process and on every retry:
     * {@code turnId + ":" + callId}. A tool passes it on to the systems it changes, so that a call
     * run again after a crash is applied once.
     *
     * @return the idempotency key
     */
    public String idempotencyKey() {
        return turnId + ":" + callId;
    }

    /**
     * Whether the arguments are the text of a JSON object, as tool inputs must be. The turn service
     * does not run a call whose arguments are not: it stores an error result for the model instead.
     *
     * @return whether {@link #arguments()} is a JSON object
     */
    public boolean argumentsAreJsonObject() {
        return isJsonObject(arguments);
    }

    /** Whether {@code json} is the text of a JSON object (the driver's JSON reader decides). */
    static boolean isJsonObject(String json) {
        try {
            org.bson.BsonDocument.parse(json);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
