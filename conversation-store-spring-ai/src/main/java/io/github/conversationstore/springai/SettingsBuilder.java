package io.github.conversationstore.springai;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Owner;
import java.util.Objects;

/**
 * The settings the chat memory and the repository share. Package-private: its public methods
 * appear on each builder.
 *
 * @param <B> the concrete builder
 */
abstract class SettingsBuilder<B extends SettingsBuilder<B>> {
    final ConversationStore store;
    String language = Settings.DEFAULT_LANGUAGE;
    int maxMessages = Settings.DEFAULT_MAX_MESSAGES;
    /** Whether {@link #maxMessages(int)} was called (a chat memory refuses it beside a token budget). */
    boolean maxMessagesSet;
    boolean omitLargeMedia;
    int maxTextBytes = ConversationStore.DEFAULT_MAX_TEXT_BYTES;
    int maxMessageBytes = ConversationStore.DEFAULT_MAX_MESSAGE_BYTES;
    Owner owner;

    SettingsBuilder(ConversationStore store) {
        this.store = store;
    }

    abstract B self();

    /** What one stored window reads, for the memory that {@code build()} makes. */
    StoreMemory memory() {
        return new StoreMemory(store, language, maxMessages,
                new MessageMapping.Limits(omitLargeMedia, maxTextBytes, maxMessageBytes), owner);
    }

    /**
     * Sets whom the conversations belong to: every append names this owner (see
     * {@link io.github.conversationstore.AppendRequest#owner()}), so that the store can list and
     * erase an owner's conversations; the repository's {@code findConversationIds} then lists only
     * this owner's. The default names no owner. A conversation's owner is fixed once set: saving to
     * another owner's conversation fails with {@link io.github.conversationstore.OwnerMismatchException}.
     *
     * @param value the owner
     * @return this builder
     * @throws NullPointerException if {@code value} is null
     * @since 0.3
     */
    public B owner(Owner value) {
        this.owner = Objects.requireNonNull(value, "owner");
        return self();
    }

    /**
     * Sets the language recorded when a conversation is created (default {@code und},
     * undetermined).
     *
     * @param value a BCP 47 tag such as {@code en} or {@code zh-CN}
     * @return this builder
     * @throws IllegalArgumentException if {@code value} is not a tag naming a language
     * @since 0.2.0
     */
    public B language(String value) {
        this.language = Settings.language(value);
        return self();
    }

    /**
     * Sets how many of the last messages a read returns (default 20): the window of
     * {@code ChatMemory.get}, or of {@code ChatMemoryRepository.findByConversationId}. For the
     * repository, make it at least the {@code maxMessages} of the {@code MessageWindowChatMemory} on
     * top, or that memory sees fewer messages than it could keep.
     *
     * @param value 1 to {@value ConversationStore#MAX_READ_LIMIT}
     * @return this builder
     * @throws IllegalArgumentException if {@code value} is out of range
     * @since 0.2.0
     */
    public B maxMessages(int value) {
        this.maxMessages = Settings.maxMessages(value);
        this.maxMessagesSet = true;
        return self();
    }

    /**
     * Sets whether media too large to store inline (over 64 KiB of bytes) are replaced by a
     * placeholder that records their type, name and size and reads back as no media (default
     * false: such a message is refused with an {@link IllegalArgumentException}).
     *
     * @param value whether to omit large media
     * @return this builder
     * @since 0.2.0
     */
    public B omitLargeMedia(boolean value) {
        this.omitLargeMedia = value;
        return self();
    }

    /**
     * Sets the longest message text the store takes, in UTF-8 bytes: the {@code maxTextBytes} the
     * store was built with (default {@value ConversationStore#DEFAULT_MAX_TEXT_BYTES}, the store's
     * default). A longer text (a long reply) is stored cut to fit, ending with a marker that says
     * how many bytes were kept; it is never refused after the model answered. Raise both this and
     * the store's limit to keep longer texts whole.
     *
     * @param bytes at least 1,024
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is below 1,024
     * @since 0.2.0
     */
    public B maxTextBytes(int bytes) {
        this.maxTextBytes = Settings.limit("maxTextBytes", bytes);
        return self();
    }

    /**
     * Sets the largest message the store takes, as stored: the {@code maxMessageBytes} the store was
     * built with (default {@value ConversationStore#DEFAULT_MAX_MESSAGE_BYTES}, the store's default).
     * A tool result whose content would not fit is stored cut to this size less 8 KiB, ending with
     * a marker that says how many bytes were kept.
     *
     * @param bytes at least 16,384
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is below 16,384
     * @since 0.2.0
     */
    public B maxMessageBytes(int bytes) {
        this.maxMessageBytes = Settings.limit("maxMessageBytes", bytes);
        return self();
    }
}
