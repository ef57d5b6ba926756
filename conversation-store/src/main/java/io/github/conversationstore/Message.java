package io.github.conversationstore;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * One message of a conversation, as the caller writes it.
 *
 * <p>The timestamp is kept to the millisecond (what MongoDB stores), so a message reads back equal
 * to the one written. Attributes carry extra text fields such as {@value #GRAMMAR_SUGGESTION} and
 * {@value #TRANSLATION}; their keys must be safe as MongoDB field names (not empty, no leading
 * {@code $}, no {@code .}, no NUL) and must not be one of {@code _id}, {@code id}, {@code role},
 * {@code text}, {@code timestamp}.
 *
 * <p>Serializes to JSON as {@code {"id", "role", "text", "timestamp" (ISO-8601), "attributes"}}
 * with Jackson and no extra module.
 *
 * <p>The constructor throws {@link NullPointerException} naming a null component, and
 * {@link IllegalArgumentException} naming the component and the rule it breaks.
 *
 * @param id a caller-chosen identifier, at most 128 characters (the factories generate a UUID)
 * @param role who wrote the message
 * @param text the text, never null (may be empty)
 * @param timestamp when the message was written, truncated to milliseconds
 * @param attributes extra text fields, immutable
 * @since 0.1.0
 */
@JsonAutoDetect(fieldVisibility = Visibility.NONE, getterVisibility = Visibility.NONE,
        isGetterVisibility = Visibility.NONE)
@JsonPropertyOrder({"id", "role", "text", "timestamp", "attributes"})
public record Message(
        @JsonProperty("id") String id,
        @JsonProperty("role") Role role,
        @JsonProperty("text") String text,
        Instant timestamp,
        @JsonProperty("attributes") @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> attributes) {

    /** Attribute key of the tutor's grammar suggestion for a user message. */
    public static final String GRAMMAR_SUGGESTION = "grammarSuggestion";
    /** Attribute key of a translation of the message text. */
    public static final String TRANSLATION = "translation";

    /**
     * Validates and normalizes the components (see the class comment for the rules).
     *
     * @param id see the class comment
     * @param role see the class comment
     * @param text see the class comment
     * @param timestamp see the class comment
     * @param attributes see the class comment
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if a component breaks its rule
     */
    @JsonCreator(mode = JsonCreator.Mode.DISABLED)
    public Message {
        Checks.identifier("id", id, Checks.MAX_ID_LENGTH);
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(text, "text");
        timestamp = Objects.requireNonNull(timestamp, "timestamp").truncatedTo(ChronoUnit.MILLIS);
        attributes = Checks.attributes("attributes", attributes, Checks.RESERVED_MESSAGE_FIELDS);
    }

    /**
     * Creates a message with a random id, the current time and no attributes.
     *
     * @param role who wrote it
     * @param text the text
     * @return the message
     */
    public static Message of(Role role, String text) {
        return new Message(UUID.randomUUID().toString(), role, text, Instant.now(), Map.of());
    }

    /**
     * Creates a {@link Role#USER} message with a random id and the current time.
     *
     * @param text the text
     * @return the message
     */
    public static Message user(String text) {
        return of(Role.USER, text);
    }

    /**
     * Creates a {@link Role#ASSISTANT} message with a random id and the current time.
     *
     * @param text the text
     * @return the message
     */
    public static Message assistant(String text) {
        return of(Role.ASSISTANT, text);
    }

    /**
     * Creates a {@link Role#SYSTEM} message with a random id and the current time.
     *
     * @param text the text
     * @return the message
     */
    public static Message system(String text) {
        return of(Role.SYSTEM, text);
    }

    /**
     * Returns a copy of this message with one more attribute (replacing any with the same key).
     *
     * @param key the attribute key
     * @param value the attribute value
     * @return the new message
     * @throws IllegalArgumentException if the key is not allowed
     */
    public Message withAttribute(String key, String value) {
        Map<String, String> copy = new HashMap<>(attributes);
        copy.put(key, value);
        return new Message(id, role, text, timestamp, copy);
    }

    /**
     * Returns a copy of this message with another id.
     *
     * @param newId the id
     * @return the new message
     */
    public Message withId(String newId) {
        return new Message(newId, role, text, timestamp, attributes);
    }

    /**
     * Returns the attribute with this key.
     *
     * @param key the attribute key
     * @return the value, or empty if absent
     */
    public Optional<String> attribute(String key) {
        return Optional.ofNullable(attributes.get(key));
    }

    /**
     * Returns the {@value #GRAMMAR_SUGGESTION} attribute.
     *
     * @return the grammar suggestion, or empty if absent
     */
    public Optional<String> grammarSuggestion() {
        return attribute(GRAMMAR_SUGGESTION);
    }

    /**
     * Returns the {@value #TRANSLATION} attribute.
     *
     * @return the translation, or empty if absent
     */
    public Optional<String> translation() {
        return attribute(TRANSLATION);
    }

    @JsonProperty("timestamp")
    String timestampText() {
        return timestamp.toString();
    }

    @JsonCreator
    static Message fromJson(
            @JsonProperty("id") String id,
            @JsonProperty("role") Role role,
            @JsonProperty("text") String text,
            @JsonProperty("timestamp") String timestamp,
            @JsonProperty("attributes") Map<String, String> attributes) {
        return new Message(id, role, text, Instant.parse(Objects.requireNonNull(timestamp, "timestamp")),
                attributes == null ? Map.of() : attributes);
    }
}
