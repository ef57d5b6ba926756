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
     * Whether the arguments are the text of a JSON object, as tool inputs must be. The turn service
     * does not run a call whose arguments are not: it stores an error result for the model instead.
     *
     * @return whether {@link #arguments()} is a JSON object
     */
    public boolean argumentsAreJsonObject() {
        return isJsonObject(arguments);
    }

    /** Deepest nesting of objects and arrays accepted: MongoDB's own limit for documents. */
    private static final int MAX_NESTING = 100;

    /**
     * Whether {@code json} is the text of a JSON object (the driver's JSON reader decides), nesting
     * at most {@value #MAX_NESTING} levels: a recursive reader must not be made to overflow its stack
     * by what a model wrote.
     */
    static boolean isJsonObject(String json) {
        if (nesting(json) > MAX_NESTING) {
            return false;
        }
        try {
            org.bson.BsonDocument.parse(json);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The deepest nesting of brackets and braces outside strings, counted without recursion. */
    private static int nesting(String json) {
        int depth = 0;
        int deepest = 0;
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                deepest = Math.max(deepest, ++depth);
            } else if (c == '}' || c == ']') {
                depth--;
            }
        }
        return deepest;
    }
}
