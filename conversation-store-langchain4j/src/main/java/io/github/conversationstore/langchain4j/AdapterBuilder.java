package io.github.conversationstore.langchain4j;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.Owner;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The settings the adapter's builders share. Package-private: its public methods appear on each
 * public builder.
 *
 * @param <B> the builder's own type
 */
abstract class AdapterBuilder<B extends AdapterBuilder<B>> {
    ConversationStore store;
    String language = "und";
    int window;
    /** Whether {@link #window(int)} was called (a memory refuses it beside a token budget). */
    boolean windowSet;
    Function<Object, String> sessionIds = String::valueOf;
    Function<String, Owner> owners = session -> null;
    boolean groupToolCalls = true;
    int maxTextBytes = ConversationStore.DEFAULT_MAX_TEXT_BYTES;
    int maxMessageBytes = ConversationStore.DEFAULT_MAX_MESSAGE_BYTES;

    AdapterBuilder(int defaultWindow) {
        this.window = defaultWindow;
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * Sets the store the conversations are kept in (required). The adapter does not close it.
     *
     * @param value the store, such as a {@code MongoConversationStore}
     * @return this builder
     * @since 0.2.0
     */
    public B store(ConversationStore value) {
        this.store = Objects.requireNonNull(value, "store");
        return self();
    }

    /**
     * Sets the language recorded when a conversation is created, as a BCP 47 tag such as {@code es}
     * or {@code zh-CN}. The default is {@code und} (undetermined).
     *
     * @param value the language tag
     * @return this builder
     * @since 0.2.0
     */
    public B language(String value) {
        this.language = Objects.requireNonNull(value, "language");
        return self();
    }

    /**
     * Sets how many stored messages a read returns at most: the last {@code messages} of the
     * conversation, tool calls and their results kept whole (so a read may hold fewer), plus the
     * latest system message when it is older than that.
     *
     * @param messages 1 to {@value ConversationStore#MAX_READ_LIMIT}
     * @return this builder
     * @throws IllegalArgumentException if {@code messages} is out of range
     * @since 0.2.0
     */
    public B window(int messages) {
        if (messages < 1 || messages > ConversationStore.MAX_READ_LIMIT) {
            throw new IllegalArgumentException("window must be 1 to " + ConversationStore.MAX_READ_LIMIT
                    + " messages, was " + messages);
        }
        this.window = messages;
        this.windowSet = true;
        return self();
    }

    /**
     * Sets how a LangChain4j memory id becomes the store's session id. The default is
     * {@code String.valueOf(memoryId)}; use it to add a prefix, for example. The result must be a
     * valid session id (not blank, at most 256 characters, no control characters).
     *
     * @param value the mapping, applied on every call
     * @return this builder
     * @since 0.2.0
     */
    public B sessionId(Function<Object, String> value) {
        this.sessionIds = Objects.requireNonNull(value, "sessionId");
        return self();
    }

    /**
     * Sets whom each conversation belongs to: {@code value} maps the store's session id (after
     * {@link #sessionId(Function)}) to its owner, and every append names it, so that the store can
     * list an owner's conversations ({@link ConversationStore#listConversations}) and erase them
     * ({@link ConversationStore#eraseOwner}). The default names no owner. A conversation's owner is
     * fixed once set: an append naming another fails with
     * {@link io.github.conversationstore.OwnerMismatchException}.
     *
     * @param value the owner of a session id, or null for none
     * @return this builder
     * @since 0.3
     */
    public B owner(Function<String, Owner> value) {
        this.owners = Objects.requireNonNull(value, "owner");
        return self();
    }

    /**
     * Sets whether an AI message with tool execution requests is held back until every request has
     * its result, then stored together with the results in one atomic append (the default,
     * {@code true}). Concurrent writers to one conversation then never separate a call from its
     * result. A call whose results never come is not stored (a model window would leave it out
     * anyway), unless more than 64 calls of the conversation wait, when the oldest is stored alone.
     * With {@code false}, each message is stored when it is added.
     *
     * @param value whether to store tool calls together with their results
     * @return this builder
     * @since 0.2.0
     */
    public B groupToolCalls(boolean value) {
        this.groupToolCalls = value;
        return self();
    }

    /**
     * Sets the longest message text the store takes, in UTF-8 bytes: the {@code maxTextBytes} the
     * store was built with (default {@value ConversationStore#DEFAULT_MAX_TEXT_BYTES}, the store's
     * default). A longer text (a long reply) is stored cut to fit, ending with a marker that says how
     * many bytes were kept, and logged as a WARNING; it is never refused after the model answered.
     * Raise both this and the store's limit to keep longer texts whole.
     *
     * @param bytes at least 1,024
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is below 1,024
     * @since 0.2.0
     */
    public B maxTextBytes(int bytes) {
        if (bytes < 1024) {
            throw new IllegalArgumentException("maxTextBytes must be at least 1024 bytes, was " + bytes);
        }
        this.maxTextBytes = bytes;
        return self();
    }

    /**
     * Sets the largest message the store takes, as stored: the {@code maxMessageBytes} the store was
     * built with (default {@value ConversationStore#DEFAULT_MAX_MESSAGE_BYTES}). A tool result whose
     * content would not fit is stored cut to this size less 8 KiB, ending with a marker.
     *
     * @param bytes at least 16,384
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is below 16,384
     * @since 0.2.0
     */
    public B maxMessageBytes(int bytes) {
        if (bytes < 16 * 1024) {
            throw new IllegalArgumentException("maxMessageBytes must be at least 16384 bytes, was " + bytes);
        }
        this.maxMessageBytes = bytes;
        return self();
    }

    MemoryEngine engine() {
        if (store == null) {
            throw new IllegalStateException("store is required: call store(...) before build()");
        }
        // the core's own check and canonical form (zh-cn becomes zh-CN)
        String canonical = AppendRequest.of("language-check", language, List.of(Message.user(""))).language();
        return new MemoryEngine(store, canonical, window, sessionIds, groupToolCalls, maxTextBytes, maxMessageBytes, owners);
    }
}
