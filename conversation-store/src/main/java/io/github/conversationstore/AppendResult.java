package io.github.conversationstore;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What one append did.
 *
 * @param appendId the append's idempotency key
 * @param firstSequence the sequence number given to the append's first message
 * @param messageCount how many messages the append holds; they have the sequence numbers
 *     {@code firstSequence} to {@code firstSequence + messageCount - 1}
 * @param conversationCreated whether this append created the conversation
 * @param duplicate whether the append id had already been applied before this call, in which case
 *     nothing was written and the sequence numbers are those of the earlier application
 * @since 0.1.0
 */
public record AppendResult(
        String appendId, long firstSequence, int messageCount, boolean conversationCreated, boolean duplicate) {

    /**
     * Validates the components.
     *
     * @param appendId the append's idempotency key
     * @param firstSequence the sequence number of the first message
     * @param messageCount how many messages the append holds
     * @param conversationCreated whether the append created the conversation
     * @param duplicate whether the append id had been applied before
     * @throws IllegalArgumentException if {@code firstSequence} is negative or {@code messageCount}
     *     is not positive
     */
    @JsonCreator
    public AppendResult(
            @JsonProperty("appendId") String appendId,
            @JsonProperty("firstSequence") long firstSequence,
            @JsonProperty("messageCount") int messageCount,
            @JsonProperty("conversationCreated") boolean conversationCreated,
            @JsonProperty("duplicate") boolean duplicate) {
        this.appendId = Checks.identifier("appendId", appendId, Checks.MAX_ID_LENGTH);
        this.firstSequence = Checks.notNegative("firstSequence", firstSequence);
        this.messageCount = Checks.positive("messageCount", messageCount);
        this.conversationCreated = conversationCreated;
        this.duplicate = duplicate;
    }

    /**
     * Returns the sequence number of the append's last message.
     *
     * @return {@code firstSequence + messageCount - 1}
     */
    @JsonIgnore
    public long lastSequence() {
        return firstSequence + messageCount - 1;
    }
}
