package io.github.conversationstore.spi;

import java.util.Objects;

/**
 * One call of a {@link Tool}, as the model asked for it.
 *
 * @param sessionId the conversation's key
 * @param turnId the turn's id
 * @param step the turn's step that asked for the call: 1 for the model's first answer, 2 for its second...
 * @param callId the call's id, as the model gave it
 * @param name the tool's name
 * @param arguments the call's arguments: JSON text of an object, as the model wrote it
 * @param attempt 1 for the first run of this call in this process, 2 for its first retry, ...
 * @since 0.2.0
 */
public record ToolInvocation(String sessionId, String turnId, int step, String callId, String name, String arguments,
        int attempt) {

    /**
     * Validates the components.
     *
     * @param sessionId the conversation's key
     * @param turnId the turn's id
     * @param step the step, 1 or more
     * @param callId the call's id
     * @param name the tool's name
     * @param arguments the arguments
     * @param attempt the attempt, 1 or more
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if {@code step} or {@code attempt} is below 1
     */
    public ToolInvocation {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(turnId, "turnId");
        Objects.requireNonNull(callId, "callId");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arguments, "arguments");
        if (step < 1) {
            throw new IllegalArgumentException("step must be at least 1, was " + step);
        }
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be at least 1, was " + attempt);
        }
    }

    /**
     * Returns the key that names this call in every process and on every retry:
     * {@code turnId + ":s" + step + ":" + callId}, with {@code :} and {@code %} in the turn id written
     * {@code %3A} and {@code %25} (so that no two calls of any turns share a key, even when a model
     * reuses call ids across steps or a turn id holds colons). A tool passes it on to the systems it
     * changes, so that a call run again after a crash is applied once.
     *
     * @return the idempotency key
     */
    public String idempotencyKey() {
        return turnId.replace("%", "%25").replace(":", "%3A") + ":s" + step + ":" + callId;
    }

    /**
     * Whether the arguments are the text of one strict JSON object (RFC 8259), as tool inputs must
     * be: nothing but whitespace after it, no member name twice in one object, nesting at most 100
     * levels, and no relaxed forms (single quotes, unquoted names, comments, trailing commas,
     * {@code NaN}, leading zeros, raw control characters in strings, extended JSON such as
     * {@code ObjectId(..)}). The turn service does not run a call whose arguments are not: it stores
     * an error result for the model instead, which can then call again with valid arguments.
     *
     * @return whether {@link #arguments()} is one strict JSON object
     */
    public boolean argumentsAreJsonObject() {
        return StrictJson.isObject(arguments);
    }
}
