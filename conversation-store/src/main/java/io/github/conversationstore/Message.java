package io.github.conversationstore;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * One message of a conversation, as the caller writes it: who wrote it, its content as ordered
 * {@linkplain Part parts}, when, string attributes and structured metadata.
 *
 * <p>Most messages are one text: {@link #user(String)}, {@link #assistant(String)} and the
 * five-argument constructor make those, and {@link #text()} reads the text of any message (its
 * text parts, joined). Tool use is a {@link Role#ASSISTANT} message with {@link Part.ToolCall} parts,
 * answered by a {@link Role#TOOL} message ({@link #tool(Part.ToolResult...)}) with one
 * {@link Part.ToolResult} per call.
 *
 * <p>The timestamp is kept to the millisecond (what MongoDB stores), so a message reads back equal
 * to the one written. Attributes carry extra text fields (such as the tutor example's grammar
 * suggestion and translation), read with {@link #attribute(String)}; their keys must be safe as MongoDB field names (not empty, no leading
 * {@code $}, no {@code .}, no NUL) and must not be one of {@code _id}, {@code id}, {@code role},
 * {@code text}, {@code timestamp}, {@code appendId}, {@code parts}, {@code metadata}. Metadata holds
 * what JSON can say (strings, numbers, booleans, null, lists and maps, at most
 * {@value #MAX_METADATA_DEPTH} levels deep, keys by the attribute rules at every level), stored as
 * native BSON: the turn service records a reply's {@value #MODEL}, {@value #FINISH_REASON} and
 * {@value #USAGE} there. Whole numbers read back as {@link Integer} when they fit, else
 * {@link Long}; other numbers as {@link Double}, or {@link java.math.BigDecimal} if given as one (at
 * most 34 significant digits: MongoDB's Decimal128). JSON has one kind of number: a Jackson mapper
 * reads a decimal back as {@code BigDecimal} only with {@code USE_BIG_DECIMAL_FOR_FLOATS}.
 *
 * <p>Text is kept as well-formed UTF-16: an unpaired surrogate (half a character, as a text cut in
 * the middle of an emoji has) in a text, attribute or metadata value becomes U+FFFD when the message
 * is built, as MongoDB would store it, so that every store gives back what it keeps; in an id or a
 * key it is refused.
 *
 * <p>Rules on parts: at least one; {@link Part.ToolCall} parts only in assistant messages, with
 * distinct call ids; a tool message holds only {@link Part.ToolResult} parts (at least one; parts
 * of unknown types aside), and tool results appear nowhere else.
 *
 * <p>Serializes to JSON as {@code {"id", "role", "text", "parts" (unless the message is one text),
 * "timestamp" (ISO-8601), "attributes", "metadata"}} with Jackson and no extra module.
 *
 * <p>The constructor throws {@link NullPointerException} naming a null component, and
 * {@link IllegalArgumentException} naming the component and the rule it breaks.
 *
 * @param id a caller-chosen identifier, at most 128 characters (the factories generate a UUID)
 * @param role who wrote the message
 * @param parts the content, in order, immutable
 * @param timestamp when the message was written, truncated to milliseconds
 * @param attributes extra text fields, immutable
 * @param metadata structured values, immutable
 * @since 0.1.0
 */
@JsonAutoDetect(fieldVisibility = Visibility.NONE, getterVisibility = Visibility.NONE,
        isGetterVisibility = Visibility.NONE)
@JsonPropertyOrder({"id", "role", "text", "parts", "timestamp", "attributes", "metadata"})
public record Message(
        @JsonProperty("id") String id,
        @JsonProperty("role") Role role,
        List<Part> parts,
        Instant timestamp,
        @JsonProperty("attributes") @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> attributes,
        @JsonProperty("metadata") @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Object> metadata) {

    /**
     * Attribute key of the tutor's grammar suggestion for a user message.
     *
     * @deprecated the tutor's own key, not the library's: define it in the application (the
     *     examples' {@code TutorAttributes}) and read it with {@link #attribute(String)}
     */
    @Deprecated(since = "0.3")
    public static final String GRAMMAR_SUGGESTION = "grammarSuggestion";
    /**
     * Attribute key of a translation of the message text.
     *
     * @deprecated the tutor's own key, not the library's: define it in the application (the
     *     examples' {@code TutorAttributes}) and read it with {@link #attribute(String)}
     */
    @Deprecated(since = "0.3")
    public static final String TRANSLATION = "translation";
    /** Metadata key of the model that wrote a reply (a string). */
    public static final String MODEL = "model";
    /** Metadata key of why the model stopped, as the provider says it (a string such as {@code end_turn}). */
    public static final String FINISH_REASON = "finishReason";
    /** Metadata key of a reply's token usage: a map with {@code inputTokens} and {@code outputTokens}. */
    public static final String USAGE = "usage";
    /** How deep lists and maps may nest in metadata. */
    public static final int MAX_METADATA_DEPTH = JsonValues.MAX_DEPTH;

    /**
     * Validates and normalizes the components (see the class comment for the rules).
     *
     * @param id see the class comment
     * @param role see the class comment
     * @param parts see the class comment
     * @param timestamp see the class comment
     * @param attributes see the class comment
     * @param metadata see the class comment
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if a component breaks its rule
     * @since 0.2.0
     */
    @JsonCreator(mode = JsonCreator.Mode.DISABLED)
    public Message {
        Checks.identifier("id", id, Checks.MAX_ID_LENGTH);
        Objects.requireNonNull(role, "role");
        parts = Checks.parts(role, parts);
        timestamp = Objects.requireNonNull(timestamp, "timestamp").truncatedTo(ChronoUnit.MILLIS);
        attributes = Checks.attributes("attributes", attributes, Checks.RESERVED_MESSAGE_FIELDS);
        metadata = JsonValues.metadata("metadata", metadata);
    }

    /**
     * Creates a message of one text, without metadata.
     *
     * @param id see the class comment
     * @param role see the class comment
     * @param text the text, never null (may be empty)
     * @param timestamp see the class comment
     * @param attributes see the class comment
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if a component breaks its rule
     */
    @JsonCreator(mode = JsonCreator.Mode.DISABLED)
    public Message(String id, Role role, String text, Instant timestamp, Map<String, String> attributes) {
        this(id, role, List.of(new Part.Text(text)), timestamp, attributes, Map.of());
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
     * Creates a message of these parts with a random id, the current time, no attributes and no
     * metadata.
     *
     * @param role who wrote it
     * @param parts the content, in order
     * @return the message
     * @throws IllegalArgumentException if the parts break a rule of the class comment
     * @since 0.2.0
     */
    public static Message of(Role role, Part... parts) {
        return new Message(UUID.randomUUID().toString(), role, List.of(parts), Instant.now(), Map.of(), Map.of());
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
     * Creates a {@link Role#TOOL} message answering tool calls, with a random id and the current time.
     *
     * @param results one result per answered call
     * @return the message
     * @throws IllegalArgumentException if {@code results} is empty
     * @since 0.2.0
     */
    public static Message tool(Part.ToolResult... results) {
        return of(Role.TOOL, results);
    }

    /**
     * Returns the text of the message: its text parts, joined with nothing between them; empty if
     * it has none.
     *
     * @return the text
     */
    @JsonProperty("text")
    public String text() {
        if (parts.size() == 1) {
            return parts.get(0) instanceof Part.Text ? ((Part.Text) parts.get(0)).text() : "";
        }
        StringBuilder text = new StringBuilder();
        for (Part part : parts) {
            if (part instanceof Part.Text) {
                text.append(((Part.Text) part).text());
            }
        }
        return text.toString();
    }

    /**
     * Whether the message is one text part, the shape of every message before tool use.
     *
     * @return whether it is text only
     * @since 0.2.0
     */
    public boolean isTextOnly() {
        return parts.size() == 1 && parts.get(0) instanceof Part.Text;
    }

    /**
     * Returns the message's tool calls, in order.
     *
     * @return the tool call parts; empty if none
     * @since 0.2.0
     */
    public List<Part.ToolCall> toolCalls() {
        return partsOf(Part.ToolCall.class);
    }

    /**
     * Returns the message's tool results, in order.
     *
     * @return the tool result parts; empty if none
     * @since 0.2.0
     */
    public List<Part.ToolResult> toolResults() {
        return partsOf(Part.ToolResult.class);
    }

    private <P extends Part> List<P> partsOf(Class<P> type) {
        List<P> out = new ArrayList<>();
        for (Part part : parts) {
            if (type.isInstance(part)) {
                out.add(type.cast(part));
            }
        }
        return out;
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
        return new Message(id, role, parts, timestamp, copy, metadata);
    }

    /**
     * Returns a copy of this message with one more metadata entry (replacing any with the same key).
     *
     * @param key the key
     * @param value a string, number, boolean, null, list or map
     * @return the new message
     * @throws IllegalArgumentException if the key or value breaks a metadata rule
     * @since 0.2.0
     */
    public Message withMetadata(String key, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(metadata);
        copy.put(key, value);
        return new Message(id, role, parts, timestamp, attributes, copy);
    }

    /**
     * Returns a copy of this message with this metadata instead of its own.
     *
     * @param values the metadata
     * @return the new message
     * @throws IllegalArgumentException if a key or value breaks a metadata rule
     * @since 0.2.0
     */
    public Message withMetadata(Map<String, ?> values) {
        return new Message(id, role, parts, timestamp, attributes, Collections.unmodifiableMap(values));
    }

    /**
     * Returns a copy of this message with another id.
     *
     * @param newId the id
     * @return the new message
     */
    public Message withId(String newId) {
        return new Message(newId, role, parts, timestamp, attributes, metadata);
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
     * @deprecated use {@code attribute("grammarSuggestion")} with the application's own key
     */
    @Deprecated(since = "0.3")
    public Optional<String> grammarSuggestion() {
        return attribute(GRAMMAR_SUGGESTION);
    }

    /**
     * Returns the {@value #TRANSLATION} attribute.
     *
     * @return the translation, or empty if absent
     * @deprecated use {@code attribute("translation")} with the application's own key
     */
    @Deprecated(since = "0.3")
    public Optional<String> translation() {
        return attribute(TRANSLATION);
    }

    @JsonProperty("timestamp")
    String timestampText() {
        return timestamp.toString();
    }

    @JsonProperty("parts")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    List<Part> partsJson() {
        return isTextOnly() ? null : parts;
    }

    @JsonCreator
    static Message fromJson(
            @JsonProperty("id") String id,
            @JsonProperty("role") Role role,
            @JsonProperty("text") String text,
            @JsonProperty("parts") List<Part> parts,
            @JsonProperty("timestamp") String timestamp,
            @JsonProperty("attributes") Map<String, String> attributes,
            @JsonProperty("metadata") Map<String, Object> metadata) {
        List<Part> content = parts != null ? parts : List.of(new Part.Text(Objects.requireNonNull(text, "text")));
        return new Message(id, role, content, Instant.parse(Objects.requireNonNull(timestamp, "timestamp")),
                attributes == null ? Map.of() : attributes, metadata == null ? Map.of() : metadata);
    }
}
