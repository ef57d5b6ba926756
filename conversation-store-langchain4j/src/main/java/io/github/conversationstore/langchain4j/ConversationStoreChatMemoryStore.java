package io.github.conversationstore.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import java.util.List;

/**
 * A LangChain4j {@link ChatMemoryStore} backed by a {@link io.github.conversationstore.ConversationStore},
 * for applications that keep {@code MessageWindowChatMemory}: change the store bean, keep the rest.
 *
 * <!-- snippet file="io/github/conversationstore/langchain4j/examples/LangChain4jExamplesTest.java" region="chat-memory-store" -->
 * <pre>{@code
 * ChatMemoryStore memoryStore = ConversationStoreChatMemoryStore.builder()
 *         .store(store)
 *         .language("es")
 *         .build();
 * ChatMemoryProvider memories = memoryId -> MessageWindowChatMemory.builder()
 *         .id(memoryId)
 *         .maxMessages(20) // evicted messages leave the window, never the store
 *         .chatMemoryStore(memoryStore)
 *         .build();
 * }</pre>
 *
 * <p>LangChain4j's interface rewrites the whole window on every write. This store never rewrites
 * or deletes: {@link #updateMessages} recognizes which messages of the list are already stored and
 * appends only the new ones after them, exactly once, also when another instance of the application
 * appended to the conversation in between; messages the window evicted stay stored.
 * {@link #getMessages} reads only a bounded window, whatever the conversation's length. See the
 * package documentation for the precise rules.
 *
 * <p>Thread-safe. Errors of the store are its own {@link io.github.conversationstore.ConversationStoreException}
 * subtypes, never driver exceptions; a message LangChain4j holds that cannot be stored (an attribute
 * value that is no JSON value, inline media over 64 KiB) gets an {@link IllegalArgumentException}
 * naming it, and nothing of the call is stored.
 *
 * @since 0.2.0
 */
public final class ConversationStoreChatMemoryStore implements ChatMemoryStore {
    private final MemoryEngine engine;

    private ConversationStoreChatMemoryStore(MemoryEngine engine) {
        this.engine = engine;
    }

    /**
     * Starts a builder.
     *
     * @return a builder; {@link Builder#store} is required
     * @since 0.2.0
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads the conversation's window: its last {@code window} stored messages (100 by default), oldest
     * first, with tool calls and their results kept whole; the latest system message comes first when
     * it is older than that, and older system messages are left out. A stored tool message with
     * several results becomes one {@code ToolExecutionResultMessage} per result. The cost is that of
     * the window (one or two reads), not of the conversation.
     *
     * @param memoryId the memory id; its session id is {@code String.valueOf(memoryId)} unless set
     *     otherwise
     * @return the window, a new mutable list; empty if the conversation does not exist
     * @throws IllegalArgumentException if the memory id does not make a valid session id
     * @throws io.github.conversationstore.ConversationStoreUnavailableException if the database did not answer
     * @since 0.2.0
     */
    @Override
    public List<ChatMessage> getMessages(Object memoryId) {
        return engine.read(memoryId);
    }

    /**
     * Appends the messages of the list that are not stored yet; never deletes or rewrites.
     *
     * <p>Messages this store returned from {@link #getMessages} or wrote are recognized by object
     * identity; the messages after the last recognized one are appended, in order, in one atomic
     * append, exactly once (a repeat of a call that failed is sent again under the same append id).
     * A new system message is stored once and stays first in every window; one equal to the latest
     * stored system message is not stored again. Other messages placed before the last recognized one
     * (a rewrite of history) are not written. An AI message with tool requests is stored together with
     * its results once they have all been added (see {@link Builder#groupToolCalls}).
     *
     * <p>A list in which no message is recognized, for a conversation this store never read, is
     * compared with the stored tail by content: its longest prefix found in order in the tail is
     * taken as stored.
     *
     * @param memoryId the memory id
     * @param messages the memory's messages as LangChain4j holds them
     * @throws IllegalArgumentException if a new message cannot be stored (see the class comment)
     * @throws io.github.conversationstore.ConversationStoreException if the store could not append;
     *     calling again with the same list completes the write without doubling it
     * @since 0.2.0
     */
    @Override
    public void updateMessages(Object memoryId, List<ChatMessage> messages) {
        engine.update(memoryId, messages);
    }

    /**
     * Deletes the conversation and all its messages (not only the window).
     *
     * @param memoryId the memory id
     * @throws io.github.conversationstore.ConversationStoreUnavailableException if the database did not answer
     * @since 0.2.0
     */
    @Override
    public void deleteMessages(Object memoryId) {
        engine.delete(memoryId);
    }

    /**
     * Builds a {@link ConversationStoreChatMemoryStore}. Not thread-safe.
     *
     * @since 0.2.0
     */
    public static final class Builder extends AdapterBuilder<Builder> {
        /** The default {@link #window(int)}: above the {@code maxMessages} of a usual {@code MessageWindowChatMemory}. */
        public static final int DEFAULT_WINDOW = 100;

        private Builder() {
            super(DEFAULT_WINDOW);
        }

        /**
         * Builds the store.
         *
         * @return the chat memory store
         * @throws IllegalStateException if no store was given
         * @throws IllegalArgumentException if the language is not a BCP 47 tag naming a language
         * @since 0.2.0
         */
        public ConversationStoreChatMemoryStore build() {
            return new ConversationStoreChatMemoryStore(engine());
        }
    }
}
