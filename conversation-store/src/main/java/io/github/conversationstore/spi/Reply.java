package io.github.conversationstore.spi;

import io.github.conversationstore.Message;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A provider's reply: text, optional extra fields (stored as attributes of the assistant message,
 * such as {@link Message#GRAMMAR_SUGGESTION} and {@link Message#TRANSLATION}) and token usage.
 *
 * @param text the reply text, not blank
 * @param attributes extra text fields of the reply, immutable; keys follow the rules of
 *     {@link Message} attributes
 * @param usage the tokens the reply cost
 * @since 0.1.0
 */
public record Reply(String text, Map<String, String> attributes, TokenUsage usage) {

    /**
     * Validates and copies the components.
     *
     * @param text the reply text
     * @param attributes the extra fields
     * @param usage the token usage
     * @throws NullPointerException if a component or attribute value is null
     * @throws IllegalArgumentException if {@code text} is blank
     */
    public Reply {
        Objects.requireNonNull(text, "text");
        if (text.isBlank()) {
            throw new IllegalArgumentException("text must not be blank");
        }
        attributes = Map.copyOf(Objects.requireNonNull(attributes, "attributes"));
        Objects.requireNonNull(usage, "usage");
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
        return new Reply(text, copy, usage);
    }

    /**
     * Returns a copy with this token usage.
     *
     * @param value the usage
     * @return the new reply
     */
    public Reply withUsage(TokenUsage value) {
        return new Reply(text, attributes, value);
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
