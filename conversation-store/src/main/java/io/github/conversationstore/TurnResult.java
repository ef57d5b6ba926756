package io.github.conversationstore;

import io.github.conversationstore.spi.TokenUsage;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of a turn: the stored user message and the stored reply.
 *
 * @param turnId the turn's id
 * @param userMessage the user's message as stored, with its sequence number
 * @param reply the assistant's reply as stored, right after the user's message
 * @param replayed whether the reply had been stored by an earlier call with the same turn id (no
 *     provider call was needed, or its new reply was discarded in favour of the stored one)
 * @param usage the tokens the provider reported for this call, over all its provider calls;
 *     {@link TokenUsage#UNKNOWN} when replayed
 * @param steps the turn's tool calls and results between the user message and the reply, as
 *     stored, oldest first; empty for a turn without tools
 * @since 0.1.0
 */
public record TurnResult(String turnId, StoredMessage userMessage, StoredMessage reply, boolean replayed, TokenUsage usage,
        List<StoredMessage> steps) {

    /**
     * Validates the components.
     *
     * @param turnId the turn id
     * @param userMessage the stored user message
     * @param reply the stored reply
     * @param replayed whether the reply was stored before
     * @param usage the token usage
     * @param steps the turn's tool calls and results
     * @throws NullPointerException if a component is null
     * @since 0.2.0
     */
    public TurnResult {
        Objects.requireNonNull(turnId, "turnId");
        Objects.requireNonNull(userMessage, "userMessage");
        Objects.requireNonNull(reply, "reply");
        Objects.requireNonNull(usage, "usage");
        steps = List.copyOf(Objects.requireNonNull(steps, "steps"));
    }

    /**
     * Creates the outcome of a turn without tool steps.
     *
     * @param turnId the turn id
     * @param userMessage the stored user message
     * @param reply the stored reply
     * @param replayed whether the reply was stored before
     * @param usage the token usage
     * @throws NullPointerException if a component is null
     */
    public TurnResult(String turnId, StoredMessage userMessage, StoredMessage reply, boolean replayed, TokenUsage usage) {
        this(turnId, userMessage, reply, replayed, usage, List.of());
    }
}
