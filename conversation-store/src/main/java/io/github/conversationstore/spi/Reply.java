package io.github.conversationstore.spi;

import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A provider's reply: text, optional extra fields (stored as attributes of the assistant message,
 * such as {@link Message#GRAMMAR_SUGGESTION} and {@link Message#TRANSLATION}), token usage and
 * structured metadata such as the {@linkplain #withModel(String) model} and the
 * {@linkplain #withFinishReason(String) finish reason}. The turn service stores the metadata, and
 * the usage under {@link Message#USAGE}, in the assistant message's metadata.
 *
 * @param text the reply text, not blank
 * @param attributes extra text fields of the reply, immutable; keys follow the rules of
 *     {@link Message} attributes
 * @param usage the tokens the reply cost
 * @param metadata structured values about the reply, immutable; rules of {@link Message} metadata
 * @since 0.1.0
 */
public record Reply(String text, Map<String, String> attributes, TokenUsage usage, Map<String, Object> metadata) {

    /**
     * Validates and copies the components.
     *
     * @param text the reply text
     * @param attributes the extra fields
     * @param usage the token usage
     * @param metadata structured values about the reply
     * @throws NullPointerException if a component or attribute value is null
     * @throws IllegalArgumentException if {@code text} is blank, or a metadata key or value breaks
     *     the rules of {@link Message} metadata
     * @since 0.2.0
     */
    public Reply {
        Objects.requireNonNull(text, "text");
        if (text.isBlank()) {
            throw new IllegalArgumentException("text must not be blank");
        }
        attributes = Map.copyOf(Objects.requireNonNull(attributes, "attributes"));
        Objects.requireNonNull(usage, "usage");
        // the rules of message metadata, checked (and the map copied) by the one place that knows them
        metadata = new Message("reply", Role.ASSISTANT, List.of(Part.text("")), Instant.EPOCH, Map.of(),
                Objects.requireNonNull(metadata, "metadata")).metadata();
    }

    /**
     * Creates a reply without metadata.
     *
     * @param text the reply text
     * @param attributes the extra fields
     * @param usage the token usage
     * @throws NullPointerException if a component or attribute value is null
     * @throws IllegalArgumentException if {@code text} is blank
     */
    public Reply(String text, Map<String, String> attributes, TokenUsage usage) {
        this(text, attributes, usage, Map.of());
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
     */
    public Reply withGrammarSuggestion(String suggestion) {
        return withAttribute(Message.GRAMMAR_SUGGESTION, suggestion);
    }

    /**
     * Returns a copy with a translation of the reply text.
     *
     * @param translation the translation
     * @return the new reply
     */
    public Reply withTranslation(String translation) {
        return withAttribute(Message.TRANSLATION, translation);
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
        return new Reply(text, copy, usage, metadata);
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
        return new Reply(text, attributes, usage, copy);
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
        return new Reply(text, attributes, value, metadata);
    }

    /**
     * Returns the grammar suggestion.
     *
     * @return the suggestion, or empty
     */
    public Optional<String> grammarSuggestion() {
        return Optional.ofNullable(attributes.get(Message.GRAMMAR_SUGGESTION));
    }

    /**
     * Returns the translation.
     *
     * @return the translation, or empty
     */
    public Optional<String> translation() {
        return Optional.ofNullable(attributes.get(Message.TRANSLATION));
    }
}
