package io.github.conversationstore.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.memory.ChatMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A LangChain4j {@link ChatMemory} that appends to a {@link io.github.conversationstore.ConversationStore}
 * instead of rewriting a list: {@link #add(ChatMessage)} appends the message exactly once,
 * {@link #messages()} reads the window, {@link #clear()} erases the conversation. For
 * {@code AiServices}, build memories with {@link ConversationStoreChatMemoryProvider}.
 *
 * <p>Rules, shared with {@link ConversationStoreChatMemoryStore}: a message object is stored once,
 * however often it is added; a system message equal to the conversation's latest one is not stored
 * again (AiServices adds it on every call); an AI message with tool requests is stored together
 * with its results in one atomic append once they have all been added; the window is the last
 * {@code window} stored messages (20 by default) with tool calls and results kept whole, the latest
 * system message first. Nothing is ever deleted except by {@link #clear()}.
 *
 * <p><b>Token windows and summaries</b> (since 0.3): built with
 * {@link Builder#tokenBudget(int) tokenBudget(n)}, the memory is a {@code TokenWindowChatMemory}
 * that deletes nothing. {@link #messages()} returns, within {@code n} tokens counted by the
 * {@linkplain Builder#tokenCounter token counter} ({@link io.github.conversationstore.spi.TokenCounter#approximate()}
 * by default, or LangChain4j's own {@linkplain Builder#tokenCountEstimator estimator}):
 * <ol>
 *   <li>the conversation's system prompt (its latest system message), kept out of the competition:
 *       its tokens are set aside first, and it is shown where a message window shows it (first when
 *       it is older than the window);</li>
 *   <li>the newest summary that fits ({@link io.github.conversationstore.ConversationStore#writeSummary}),
 *       as a {@code SystemMessage} whose text is the heading {@code "Summary of the earlier
 *       conversation (its first N messages, not repeated below):"}, a blank line and the summary's
 *       text; it counts its {@link io.github.conversationstore.Summary#tokenCount()} plus the
 *       heading's count, and when all would not fit the messages make room for the heading;</li>
 *   <li>the newest messages after the summary that fit (without a summary, of the whole
 *       conversation), oldest first, a tool call and its results taken whole or not at all; older
 *       system messages cost nothing and are left out, as in a message window.</li>
 * </ol>
 * A system prompt that alone takes the whole budget is returned alone (the only case the window is
 * over the budget: the model's instructions are never dropped). A message that does not fit is left
 * out of the window, never deleted: {@link io.github.conversationstore.ConversationStore#readMessages}
 * still returns every message, and adding the summary message back stores nothing. An example, with
 * {@code AiServices}, is in the project's docs/ADAPTERS.md.
 *
 * <p>Thread-safe: instances of several threads and processes may add to one conversation.
 *
 * @since 0.2.0
 */
public final class ConversationStoreChatMemory implements ChatMemory {
    private final MemoryEngine engine;
    private final Object id;

    ConversationStoreChatMemory(MemoryEngine engine, Object id) {
        this.engine = engine;
        this.id = Objects.requireNonNull(id, "id");
        engine.sessionId(id);
    }

    /**
     * Starts a builder of one memory.
     *
     * @return a builder; {@link Builder#store} and {@link Builder#id} are required
     * @since 0.2.0
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the memory id.
     *
     * @return the id given to the builder or provider
     * @since 0.2.0
     */
    @Override
    public Object id() {
        return id;
    }

    /**
     * Appends a message to the conversation, unless this message object was stored before (or read
     * from this memory). A system message equal to the conversation's latest system message is not
     * stored again; an AI message with tool requests waits for its results (see
     * {@link Builder#groupToolCalls(boolean)}).
     *
     * @param message the message
     * @throws IllegalArgumentException if the message cannot be stored (an attribute that is no JSON
     *     value, inline media over 64 KiB)
     * @throws io.github.conversationstore.ConversationStoreException if the store could not append;
     *     adding the same message object again completes the append without doubling it
     * @since 0.2.0
     */
    @Override
    public void add(ChatMessage message) {
        engine.add(id, List.of(Objects.requireNonNull(message, "message")));
    }

    /**
     * Appends the messages, in order, in one atomic append (the system messages among them each in
     * their own), skipping message objects already stored.
     *
     * @param messages the messages
     * @throws IllegalArgumentException if a message cannot be stored; nothing is stored then
     * @throws io.github.conversationstore.ConversationStoreException if the store could not append
     * @since 0.2.0
     */
    @Override
    public void add(Iterable<ChatMessage> messages) {
        if (messages != null) {
            List<ChatMessage> list = new ArrayList<>();
            messages.forEach(list::add);
            engine.add(id, list);
        }
    }

    /**
     * Takes {@code messages} as the memory's new content the way
     * {@link ConversationStoreChatMemoryStore#updateMessages} does: the messages after the last one
     * already stored are appended; nothing is deleted or rewritten (LangChain4j's default would
     * clear the conversation and add the list again).
     *
     * @param messages the memory's messages, not empty
     * @throws IllegalArgumentException if {@code messages} is empty or a message cannot be stored
     * @throws io.github.conversationstore.ConversationStoreException if the store could not append
     * @since 0.2.0
     */
    @Override
    public void set(Iterable<ChatMessage> messages) {
        Objects.requireNonNull(messages, "messages");
        List<ChatMessage> list = new ArrayList<>();
        messages.forEach(list::add);
        if (list.isEmpty()) {
            throw new IllegalArgumentException("messages must not be empty");
        }
        engine.update(id, list);
    }

    /**
     * Reads the window: the last {@code window} stored messages, oldest first, tool calls and results
     * kept whole, the latest system message first when it is older than that. Costs one or two reads
     * of the window's size, whatever the conversation's length. With a
     * {@linkplain Builder#tokenBudget(int) token budget}: the system prompt, the newest summary that
     * fits and the newest messages after it within the budget (see the class comment); it then reads
     * the header, the summaries and the tail only.
     *
     * @return the window, a new mutable list
     * @throws io.github.conversationstore.ConversationStoreUnavailableException if the database did not answer
     * @throws UnsupportedOperationException with a token budget, if the store keeps no summaries
     *     (both of the library's stores keep them)
     * @since 0.2.0
     */
    @Override
    public List<ChatMessage> messages() {
        return engine.read(id);
    }

    /**
     * Deletes the conversation with all its messages.
     *
     * @throws io.github.conversationstore.ConversationStoreUnavailableException if the database did not answer
     * @since 0.2.0
     */
    @Override
    public void clear() {
        engine.delete(id);
    }

    /**
     * Builds one {@link ConversationStoreChatMemory}. Not thread-safe.
     *
     * @since 0.2.0
     */
    public static final class Builder extends MemoryBuilder<Builder> {
        /** The default {@link #window(int)}: the window a model is sent. */
        public static final int DEFAULT_WINDOW = 20;

        private Object id;

        private Builder() {
            super(DEFAULT_WINDOW);
        }

        /**
         * Sets the memory id (required): the conversation, whose session id is
         * {@code String.valueOf(id)} unless {@link #sessionId} says otherwise.
         *
         * @param value the memory id
         * @return this builder
         * @since 0.2.0
         */
        public Builder id(Object value) {
            this.id = Objects.requireNonNull(value, "id");
            return this;
        }

        /**
         * Builds the memory.
         *
         * @return the chat memory
         * @throws IllegalStateException if no store or id was given, if both {@link #window(int) window}
         *     and {@link #tokenBudget(int) tokenBudget} were set (a message cap on a token window
         *     would cut the messages a summary is followed by), or a token counter without a budget
         * @throws IllegalArgumentException if the language or the session id is invalid
         * @since 0.2.0
         */
        public ConversationStoreChatMemory build() {
            if (id == null) {
                throw new IllegalStateException("id is required: call id(...) before build()");
            }
            return new ConversationStoreChatMemory(engine(), id);
        }
    }
}
