package io.github.conversationstore.langchain4j;

import dev.langchain4j.model.TokenCountEstimator;
import io.github.conversationstore.spi.TokenCounter;
import java.util.Objects;

/**
 * The settings of the builders of memories ({@link ConversationStoreChatMemory.Builder},
 * {@link ConversationStoreChatMemoryProvider.Builder}): those of every builder, and the token
 * window. Package-private: its public methods appear on each public builder.
 *
 * @param <B> the builder's own type
 */
abstract class MemoryBuilder<B extends MemoryBuilder<B>> extends AdapterBuilder<B> {
    private int tokenBudget;
    private TokenCounter tokenCounter;

    MemoryBuilder(int defaultWindow) {
        super(defaultWindow);
    }

    @SuppressWarnings("unchecked")
    private B me() {
        return (B) this;
    }

    /**
     * Makes {@code messages()} return the context window of {@code tokens} tokens instead of the
     * last {@link #window(int) window} messages: LangChain4j's {@code TokenWindowChatMemory}, except
     * that nothing is ever deleted. A read returns the conversation's system prompt, then the newest
     * summary that fits ({@link io.github.conversationstore.ConversationStore#writeSummary}, shown as
     * a {@code SystemMessage}), then the newest messages after it that fit, oldest first, a tool
     * call and its results taken whole or not at all (see {@link ConversationStoreChatMemory}). The
     * default is the message window; setting both is refused when the builder builds.
     *
     * @param tokens the budget, positive: the system prompt, the summary with its heading and the
     *     messages all count against it
     * @return this builder
     * @throws IllegalArgumentException if {@code tokens} is zero or negative
     * @since 0.3
     */
    public B tokenBudget(int tokens) {
        if (tokens <= 0) {
            throw new IllegalArgumentException("tokenBudget must be positive (tokens), was " + tokens);
        }
        this.tokenBudget = tokens;
        return me();
    }

    /**
     * Sets how the {@link #tokenBudget(int) token budget} counts tokens (default
     * {@link TokenCounter#approximate()}, offline). Replaces a counter set by
     * {@link #tokenCountEstimator(TokenCountEstimator)}.
     *
     * @param counter the counter, thread-safe
     * @return this builder
     * @throws NullPointerException if {@code counter} is null
     * @since 0.3
     */
    public B tokenCounter(TokenCounter counter) {
        this.tokenCounter = Objects.requireNonNull(counter, "tokenCounter");
        return me();
    }

    /**
     * Counts the {@link #tokenBudget(int) token budget} with LangChain4j's own estimator (the one
     * a {@code TokenWindowChatMemory} would take, such as {@code OpenAiTokenCountEstimator}): a
     * stored message counts what {@link TokenCountEstimator#estimateTokenCountInMessages(Iterable)}
     * gives for it as LangChain4j messages (a tool message with several results as one
     * {@code ToolExecutionResultMessage} per result). Replaces a counter set by
     * {@link #tokenCounter(TokenCounter)}.
     *
     * @param estimator the estimator, thread-safe
     * @return this builder
     * @throws NullPointerException if {@code estimator} is null
     * @since 0.3
     */
    public B tokenCountEstimator(TokenCountEstimator estimator) {
        Objects.requireNonNull(estimator, "tokenCountEstimator");
        this.tokenCounter = message -> Math.max(0, estimator.estimateTokenCountInMessages(MessageMapper.fromStore(message)));
        return me();
    }

    @Override
    MemoryEngine engine() {
        if (tokenBudget > 0 && windowSet) {
            throw new IllegalStateException("window and tokenBudget are alternatives: a read returns either the last"
                    + " window messages or the context window of tokenBudget tokens; set one of them");
        }
        if (tokenBudget == 0 && tokenCounter != null) {
            throw new IllegalStateException("tokenCounter counts for a token budget: set tokenBudget too, or leave"
                    + " the counter out");
        }
        MemoryEngine engine = super.engine();
        return tokenBudget == 0 ? engine
                : engine.tokenWindow(tokenBudget, tokenCounter == null ? TokenCounter.approximate() : tokenCounter);
    }
}
