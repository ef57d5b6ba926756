package io.github.conversationstore.springai;

import io.github.conversationstore.ConversationStore;

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
    boolean omitLargeMedia;

    SettingsBuilder(ConversationStore store) {
        this.store = store;
    }

    abstract B self();

    /** What one stored window reads, for the memory that {@code build()} makes. */
    StoreMemory memory() {
        return new StoreMemory(store, language, maxMessages, omitLargeMedia);
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
}
