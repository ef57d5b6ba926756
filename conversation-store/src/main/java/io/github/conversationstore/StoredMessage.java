package io.github.conversationstore;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * A message as read back from a store, with its position in the conversation.
 *
 * @param sequence the message's sequence number: 0 for the first message of the conversation, then
 *     1, 2, ... with no gaps; it never changes
 * @param message the message
 * @since 0.1.0
 */
public record StoredMessage(long sequence, Message message) {

    /**
     * Validates the components.
     *
     * @param sequence the message's sequence number
     * @param message the message
     * @throws IllegalArgumentException if {@code sequence} is negative
     * @throws NullPointerException if {@code message} is null
     */
    @JsonCreator
    public StoredMessage(@JsonProperty("sequence") long sequence, @JsonProperty("message") Message message) {
        this.sequence = Checks.notNegative("sequence", sequence);
        this.message = Objects.requireNonNull(message, "message");
    }

    /**
     * Shortcut for {@code message().role()}.
     *
     * @return the role
     */
    public Role role() {
        return message.role();
    }

    /**
     * Shortcut for {@code message().text()}.
     *
     * @return the text
     */
    public String text() {
        return message.text();
    }
}
