package io.github.conversationstore.spi;

import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A provider's reply: its content as parts, optional extra fields (stored as attributes of the
 * assistant message, such as the tutor example's grammar suggestion and translation),
 * token usage and structured metadata such as the {@linkplain #withModel(String) model} and the
 * {@linkplain #withFinishReason(String) finish reason}. The turn service stores the metadata, and
 * the usage under {@link Message#USAGE}, in the assistant message's metadata.
 *
 * <p>A final reply has text ({@link #of(String)}). A reply that asks for tools holds
 * {@link Part.ToolCall} parts, with or without text and {@link Part.Reasoning} before them
 * ({@link #of(Part...)}): the turn service stores it, runs the calls, stores their results and asks
 * the provider again.
 *
 * @param parts the content, in order: what an assistant message may hold; text not blank unless
 *     there are tool calls; immutable
 * @param attributes extra text fields of the reply, immutable; keys follow the rules of
 *     {@link Message} attributes
 * @param usage the tokens the reply cost
 * @param metadata structured values about the reply, immutable; rules of {@link Message} metadata
 * @since 0.1.0
 */
public record Reply(List<Part> parts, Map<String, String> attributes, TokenUsage usage, Map<String, Object> metadata) {
    /** The tutor's attribute keys, kept for the deprecated accessors. */
    private static final String GRAMMAR_SUGGESTION = "grammarSuggestion";
    private static final String TRANSLATION = "translation";

    /**
     * Validates and copies the components.
     *
     * @param parts the content
     * @param attributes the extra fields
     * @param usage the token usage
     * @param metadata structured values about the reply
     * @throws NullPointerException if a component or attribute value is null
     * @throws IllegalArgumentException if the text is blank and there are no tool calls, a part
     *     cannot be in an assistant message, or a metadata key or value breaks the rules of
     *     {@link Message} metadata
     * @since 0.2.0
     */
    public Reply {
        attributes = Map.copyOf(Objects.requireNonNull(attributes, "attributes"));
        Objects.requireNonNull(usage, "usage");
        // the rules of parts and metadata, checked (and copied) by the one place that knows them
        Message checked = new Message("reply", Role.ASSISTANT, Objects.requireNonNull(parts, "parts"), Instant.EPOCH,
                Map.of(), Objects.requireNonNull(metadata, "metadata"));
        if (checked.text().isBlank() && checked.toolCalls().isEmpty()) {
            throw new IllegalArgumentException("text must not be blank in a reply without tool calls");
        }
        parts = checked.parts();
        metadata = checked.metadata();
    }

    /**
     * Creates a reply of one text, without metadata.
     *
     * @param text the reply text, not blank
     * @param attributes the extra fields
     * @param usage the token usage
     * @throws NullPointerException if a component or attribute value is null
     * @throws IllegalArgumentException if {@code text} is blank
     */
    public Reply(String text, Map<String, String> attributes, TokenUsage usage) {
        this(List.of(Part.text(Objects.requireNonNull(text, "text"))), attributes, usage, Map.of());
    }

    /**
     * Creates a reply of these parts, such as reasoning, text and tool calls.
     *
     * @param parts the content, in order
     * @return the reply
     * @throws IllegalArgumentException if the parts break a rule of the record
     * @since 0.2.0
     */
    public static Reply of(Part... parts) {
        return new Reply(List.of(parts), Map.of(), TokenUsage.UNKNOWN, Map.of());
    }

    /**
     * Returns the reply's text: its text parts, joined.
     *
     * @return the text; may be empty in a reply with tool calls
     */
    public String text() {
        return new Message("reply", Role.ASSISTANT, parts, Instant.EPOCH, Map.of(), Map.of()).text();
    }

    /**
     * Returns the tool calls the reply asks for, in order.
     *
     * @return the calls; empty for a final reply
     * @since 0.2.0
     */
    public List<Part.ToolCall> toolCalls() {
        List<Part.ToolCall> calls = new ArrayList<>();
        for (Part part : parts) {
            if (part instanceof Part.ToolCall) {
                calls.add((Part.ToolCall) part);
            }
        }
        return calls;
    }

    /**
     * Creates a reply with text only.
     *
     * @param text the reply text
     * @return the reply
     */
    public static Reply of(String text) {
        return new Reply(text, Map.of(), TokenUsage.UNKNOWN);
    }

    /**
     * Returns a copy with a grammar suggestion.
     *
     * @param suggestion the suggestion for the user's message
     * @return the new reply
     * @deprecated the tutor's own attribute: use {@link #withAttribute(String, String)} with the
     *     application's own key
     */
    @Deprecated(since = "0.3")
    public Reply withGrammarSuggestion(String suggestion) {
        return withAttribute(GRAMMAR_SUGGESTION, suggestion);
    }

    /**
     * Returns a copy with a translation of the reply text.
     *
     * @param translation the translation
     * @return the new reply
     * @deprecated the tutor's own attribute: use {@link #withAttribute(String, String)} with the
     *     application's own key
     */
    @Deprecated(since = "0.3")
    public Reply withTranslation(String translation) {
        return withAttribute(TRANSLATION, translation);
    }

    /**
     * Returns a copy with one more attribute.
     *
     * @param key the key
     * @param value the value
     * @return the new reply
     */
    public Reply withAttribute(String key, String value) {
        Map<String, String> copy = new HashMap<>(attributes);
        copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return new Reply(parts, copy, usage, metadata);
    }

    /**
     * Returns a copy with one more metadata entry (replacing any with the same key).
     *
     * @param key the key
     * @param value a string, number, boolean, null, list or map
     * @return the new reply
     * @throws IllegalArgumentException if the key or value breaks a rule of {@link Message} metadata
     * @since 0.2.0
     */
    public Reply withMetadata(String key, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(metadata);
        copy.put(key, value);
        return new Reply(parts, attributes, usage, copy);
    }

    /**
     * Returns a copy naming the model that wrote the reply ({@link Message#MODEL} in metadata).
     *
     * @param model the model's name
     * @return the new reply
     * @since 0.2.0
     */
    public Reply withModel(String model) {
        return withMetadata(Message.MODEL, Objects.requireNonNull(model, "model"));
    }

    /**
     * Returns a copy saying why the model stopped ({@link Message#FINISH_REASON} in metadata).
     *
     * @param reason the provider's stop reason, such as {@code end_turn}
     * @return the new reply
     * @since 0.2.0
     */
    public Reply withFinishReason(String reason) {
        return withMetadata(Message.FINISH_REASON, Objects.requireNonNull(reason, "reason"));
    }

    /**
     * Returns a copy with this token usage.
     *
     * @param value the usage
     * @return the new reply
     */
    public Reply withUsage(TokenUsage value) {
        return new Reply(parts, attributes, value, metadata);
    }

    /**
     * The metadata as the turn service stores it with the message: {@link #metadata()}, plus the
     * usage under {@link Message#USAGE} ({@code inputTokens}, {@code outputTokens}) when it is known.
     *
     * @return the metadata to store, immutable
     * @since 0.3
     */
    public Map<String, Object> storedMetadata() {
        if (usage.equals(TokenUsage.UNKNOWN)) {
            return metadata;
        }
        Map<String, Object> stored = new LinkedHashMap<>(metadata);
        stored.put(Message.USAGE, Map.of("inputTokens", usage.inputTokens(), "outputTokens", usage.outputTokens()));
        return Collections.unmodifiableMap(stored);
    }

    /**
     * Returns the grammar suggestion.
     *
     * @return the suggestion, or empty
     * @deprecated the tutor's own attribute: read {@link #attributes()} with the application's own key
     */
    @Deprecated(since = "0.3")
    public Optional<String> grammarSuggestion() {
        return Optional.ofNullable(attributes.get(GRAMMAR_SUGGESTION));
    }

    /**
     * Returns the translation.
     *
     * @return the translation, or empty
     * @deprecated the tutor's own attribute: read {@link #attributes()} with the application's own key
     */
    @Deprecated(since = "0.3")
    public Optional<String> translation() {
        return Optional.ofNullable(attributes.get(TRANSLATION));
    }
}
