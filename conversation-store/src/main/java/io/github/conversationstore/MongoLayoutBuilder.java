package io.github.conversationstore;

import java.time.Duration;
import java.util.Objects;

/**
 * The settings of how the Mongo store lays conversations out: its collections, the bounds of a
 * head and of any document, retention, and the original backend's preset. Package-private: its
 * public methods appear on {@link MongoConversationStore.Builder}.
 *
 * @param <B> the concrete builder
 */
abstract class MongoLayoutBuilder<B extends MongoLayoutBuilder<B>> extends StoreBuilder<B> {
    boolean foreignWriters;
    String collection = "conversations";
    String archiveCollection;
    int maxHeadMessages = 128;
    int maxHeadBytes = 256 * 1024;
    int maxDocumentBytes = 8 * 1024 * 1024;
    Duration expireAfterInactivity;
    String assistantRoleName = Role.ASSISTANT.wireName();

    MongoLayoutBuilder() {}

    /**
     * Sets the collection of head documents (default {@code conversations}).
     *
     * @param value the collection name
     * @return this builder
     */
    public B collection(String value) {
        this.collection = Objects.requireNonNull(value, "collection");
        return self();
    }

    /**
     * Sets the collection of archive chunks (default: the head collection's name followed by
     * {@code _archive}).
     *
     * @param value the collection name
     * @return this builder
     */
    public B archiveCollection(String value) {
        this.archiveCollection = Objects.requireNonNull(value, "archiveCollection");
        return self();
    }

    /**
     * Sets how many messages a head may hold before the oldest move to the archive (default 128);
     * a move leaves at most half of them. The prompt window ({@code recentMessages}) is read in
     * one round trip while it is at most half this bound.
     *
     * @param messages at least 2
     * @return this builder
     * @throws IllegalArgumentException if {@code messages} is below 2
     */
    public B maxHeadMessages(int messages) {
        if (messages < 2) {
            throw new IllegalArgumentException("maxHeadMessages must be at least 2, was " + messages);
        }
        this.maxHeadMessages = messages;
        return self();
    }

    /**
     * Sets how many bytes of messages a head may hold before the oldest move to the archive
     * (default 256 KiB); a move leaves at most half. Small heads keep appends fast: MongoDB
     * rewrites the whole document on every update.
     *
     * @param bytes positive
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is not positive
     */
    public B maxHeadBytes(int bytes) {
        this.maxHeadBytes = Checks.positive("maxHeadBytes", bytes);
        return self();
    }

    /**
     * Sets the hard bound on any document of the store (default 8 MiB, at most 16 MiB): a head
     * never takes an append that would pass it (older messages move out first), and a batch
     * that could never fit is rejected with {@link ConversationTooLargeException}.
     *
     * @param bytes between 1 MiB and 16 MiB
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is outside that range
     */
    public B maxDocumentBytes(int bytes) {
        if (bytes < 1024 * 1024 || bytes > 16 * 1024 * 1024) {
            throw new IllegalArgumentException("maxDocumentBytes must be between 1 MiB and 16 MiB, was " + bytes);
        }
        this.maxDocumentBytes = bytes;
        return self();
    }

    /**
     * Turns on retention: a session with no append for this long is deleted by MongoDB's TTL
     * monitor (a TTL index on the head's {@code updatedAt}, never per message, so an active
     * conversation keeps its beginning). The monitor runs about once a minute; the session's
     * archive chunks are then removed by {@link MongoConversationStore#removeOrphanedArchives()}.
     *
     * @param idle at least one second
     * @return this builder
     * @throws IllegalArgumentException if {@code idle} is shorter than one second
     */
    public B expireAfterInactivity(Duration idle) {
        this.expireAfterInactivity = Checks.atLeast("expireAfterInactivity", idle, Duration.ofSeconds(1));
        return self();
    }

    /**
     * Preset for a collection shared with the original chat backend (documents
     * {@code {sessionId, language, messages: [{role: 'user'|'bot', text, timestamp,
     * grammarSuggestion, translation}], createdAt}} with the unique index {@code sessionId_1}):
     * collection {@code conversations}, and assistant messages stored with role {@code bot}, so
     * the old backend still reads the recent messages of every document this store touches.
     * Its documents are adopted on first touch; no migration script is needed. The old backend
     * may keep writing during a rolling migration: the messages it pushes get sequence numbers
     * in array order, and the store derives counts from the array instead of trusting its own
     * counters (appends then return the head's message markers, a few bytes per message in the
     * head, instead of a reply of constant size).
     *
     * @return this builder
     */
    public B forOriginalBackend() {
        this.collection = "conversations";
        this.assistantRoleName = "bot";
        this.foreignWriters = true;
        return self();
    }
}
