package io.github.conversationstore;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Who wrote a {@link Message}.
 *
 * <p>Each role has a lower-case wire name ({@code user}, {@code assistant}, {@code system}, {@code tool}) used in
 * MongoDB and in JSON. {@link #fromWireName(String)} also accepts {@code bot}, the name the original
 * chat backend used for the assistant.
 *
 * @since 0.1.0
 */
public enum Role {
    /** The person talking to the assistant. */
    USER("user"),
    /** The assistant (for example an LLM) replying to the user. */
    ASSISTANT("assistant"),
    /** Instructions or context that neither side typed. */
    SYSTEM("system"),
    /**
     * Results of tools the assistant asked to run ({@link Part.ToolResult} parts).
     *
     * @since 0.2.0
     */
    TOOL("tool");

    private final String wireName;

    Role(String wireName) {
        this.wireName = wireName;
    }

    /**
     * Returns the lower-case name stored in MongoDB and written to JSON.
     *
     * @return {@code user}, {@code assistant}, {@code system} or {@code tool}
     */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    /**
     * Parses a wire name, case-insensitively; {@code bot} is read as {@link #ASSISTANT}.
     *
     * @param name the stored or JSON name
     * @return the role
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} names no role
     */
    @JsonCreator
    public static Role fromWireName(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        switch (lower) {
            case "user":
                return USER;
            case "assistant":
            case "bot":
                return ASSISTANT;
            case "system":
                return SYSTEM;
            case "tool":
                return TOOL;
            default:
                throw new IllegalArgumentException(
                        "role must be one of user, assistant (or bot), system, tool; was '" + name + "'");
        }
    }
}
