package io.github.conversationstore.springai.autoconfigure;

import io.github.conversationstore.ConversationStore;
import java.time.Duration;
import java.util.Objects;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
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
 * @param maxTextBytes the longest message text the auto-configured store takes, in UTF-8 bytes; the
 *     chat memory and the repository store a longer text cut to fit, with a marker
 *     ({@code conversation-store.max-text-bytes}, default 65536)
 * @param maxMessageBytes the largest message the auto-configured store takes, as stored; a tool
 *     result that would not fit is stored cut, with a marker
 *     ({@code conversation-store.max-message-bytes}, default 262144)
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
        @DefaultValue("false") boolean omitLargeMedia,
        @DefaultValue("65536") int maxTextBytes,
        @DefaultValue("262144") int maxMessageBytes) {

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
     * @param maxTextBytes see the record comment
     * @param maxMessageBytes see the record comment
     * @throws NullPointerException if a value is null
     * @since 0.2.0
     */
    @ConstructorBinding
    public ConversationStoreProperties {
        Objects.requireNonNull(database, "conversation-store.database");
        Objects.requireNonNull(collection, "conversation-store.collection");
        Objects.requireNonNull(language, "conversation-store.language");
        Objects.requireNonNull(operationTimeout, "conversation-store.operation-timeout");
        Objects.requireNonNull(expireAfterInactivity, "conversation-store.expire-after-inactivity");
    }

    /**
     * The settings without the size limits, which take their defaults.
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
     * @deprecated give the limits too, with the canonical constructor
     */
    @Deprecated(since = "0.2.0")
    public ConversationStoreProperties(String database, String collection, String language, int maxMessages,
            Duration operationTimeout, Duration expireAfterInactivity, boolean omitLargeMedia) {
        this(database, collection, language, maxMessages, operationTimeout, expireAfterInactivity, omitLargeMedia,
                ConversationStore.DEFAULT_MAX_TEXT_BYTES, ConversationStore.DEFAULT_MAX_MESSAGE_BYTES);
    }
}
