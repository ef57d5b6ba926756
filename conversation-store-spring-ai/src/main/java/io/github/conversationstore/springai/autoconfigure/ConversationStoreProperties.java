package io.github.conversationstore.springai.autoconfigure;

import java.time.Duration;
import java.util.Objects;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The settings of the auto-configured store and chat memory, under the prefix
 * {@code conversation-store}.
 *
 * @param database the MongoDB database of the store ({@code conversation-store.database}, default
 *     {@code conversation_store})
 * @param collection the store's head collection; archive chunks go to this name plus
 *     {@code _archive} ({@code conversation-store.collection}, default {@code conversations})
 * @param language the BCP 47 language recorded when a conversation is created
 *     ({@code conversation-store.language}, default {@code und}, undetermined)
 * @param maxMessages how many of the last messages the chat memory and the repository return
 *     ({@code conversation-store.max-messages}, default 20)
 * @param operationTimeout the deadline of each store operation
 *     ({@code conversation-store.operation-timeout}, default 10s)
 * @param expireAfterInactivity erase conversations idle this long; 0 keeps them
 *     ({@code conversation-store.expire-after-inactivity}, default 0)
 * @param omitLargeMedia store a placeholder instead of refusing media over 64 KiB
 *     ({@code conversation-store.omit-large-media}, default false)
 * @since 0.2.0
 */
@ConfigurationProperties(ConversationStoreProperties.PREFIX)
public record ConversationStoreProperties(
        @DefaultValue("conversation_store") String database,
        @DefaultValue("conversations") String collection,
        @DefaultValue("und") String language,
        @DefaultValue("20") int maxMessages,
        @DefaultValue("10s") Duration operationTimeout,
        @DefaultValue("0s") Duration expireAfterInactivity,
        @DefaultValue("false") boolean omitLargeMedia) {

    /** The prefix of the properties. */
    public static final String PREFIX = "conversation-store";

    /**
     * Checks the values that have no default of their own.
     *
     * @param database see the record comment
     * @param collection see the record comment
     * @param language see the record comment
     * @param maxMessages see the record comment
     * @param operationTimeout see the record comment
     * @param expireAfterInactivity see the record comment
     * @param omitLargeMedia see the record comment
     * @throws NullPointerException if a value is null
     * @since 0.2.0
     */
    public ConversationStoreProperties {
        Objects.requireNonNull(database, "conversation-store.database");
        Objects.requireNonNull(collection, "conversation-store.collection");
        Objects.requireNonNull(language, "conversation-store.language");
        Objects.requireNonNull(operationTimeout, "conversation-store.operation-timeout");
        Objects.requireNonNull(expireAfterInactivity, "conversation-store.expire-after-inactivity");
    }
}
