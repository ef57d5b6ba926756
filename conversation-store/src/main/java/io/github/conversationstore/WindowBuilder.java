package io.github.conversationstore;

import java.util.Objects;

/**
 * The settings of what a turn's provider sees before the user message (a message count and
 * character window, or compaction's token window).
 * Package-private: its public methods appear on {@link TurnService.Builder}.
 *
 * @param <B> the concrete builder
 */
abstract class WindowBuilder<B extends WindowBuilder<B>> extends ToolLoopBuilder<B> {
    int windowMessages = 20;
    int windowChars = Integer.MAX_VALUE;
    Compaction compaction;
    private boolean windowSet;

    WindowBuilder() {}

    /**
     * Sets how many of the latest messages before the user's are given to the provider
     * (default 20).
     *
     * @param messages 0 to {@value ConversationStore#MAX_READ_LIMIT}
     * @return this builder
     */
    public B windowMessages(int messages) {
        if (messages < 0 || messages > ConversationStore.MAX_READ_LIMIT) {
            throw new IllegalArgumentException("windowMessages must be between 0 and "
                    + ConversationStore.MAX_READ_LIMIT + ", was " + messages);
        }
        this.windowMessages = messages;
        this.windowSet = true;
        return self();
    }

    /**
     * Sets a budget of characters for the window (default: no budget): the window is the latest
     * messages whose parts fit the budget together. Every part counts, not only text: tool calls
     * (id, name, arguments), tool results (id, name, content), reasoning (text, signature),
     * media (MIME type, name, URI or inline data in Base64) and parts of unknown types. A
     * message that does not fit ends the window: it, and everything older, is left out, even
     * when it alone is larger than the budget (it is never passed whole, nor cut). The turn's
     * own steps are given whole, outside the budget.
     *
     * @param chars zero or more
     * @return this builder
     */
    public B windowChars(int chars) {
        if (chars < 0) {
            throw new IllegalArgumentException("windowChars must not be negative, was " + chars);
        }
        this.windowChars = chars;
        this.windowSet = true;
        return self();
    }

    /**
     * Compacts conversations (see {@link Compaction}): the provider's window becomes the token
     * window of the policy's trigger budget (the newest summary, then the latest messages), in
     * place of {@link #windowMessages} and {@link #windowChars}; after each reply is stored,
     * under the session's lease, the oldest messages are summarized when the budget is passed.
     * Compaction runs in the turn rather than in the background so that it needs no thread of
     * its own and no second lease: the reply is stored first, and a failed or slow summarizer
     * (bounded by the policy's timeout) costs the turn time, never its result.
     *
     * @param policy the policy
     * @return this builder
     * @throws NullPointerException if {@code policy} is null
     * @since 0.3
     */
    public B compaction(Compaction policy) {
        this.compaction = Objects.requireNonNull(policy, "policy");
        return self();
    }

    /** Fails if compaction and a count or character window were both set. */
    void checkWindow() {
        if (compaction != null && windowSet) {
            throw new IllegalStateException("compaction replaces windowMessages and windowChars: set one or the other");
        }
    }
}
