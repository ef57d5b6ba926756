package io.github.conversationstore;

import io.github.conversationstore.spi.Summarizer;
import io.github.conversationstore.spi.TokenCounter;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * When and how a {@link TurnService} summarizes a conversation's older messages, so that what the
 * model sees (the newest summary and the messages after it) stays within a token budget while
 * every message stays stored: {@link ConversationStore#readMessages} still returns them all.
 *
 * <p>With compaction, each turn's window is the {@linkplain ConversationStore#contextWindow token
 * window} of {@link #triggerTokens()} (the user message and the turn's steps counted in it). After
 * the reply is stored, still under the session's lease, the turn checks whether the newest summary
 * and the messages after it take more than {@link #triggerTokens()}; if so it summarizes the oldest
 * of those messages, built on the newest summary, keeping the newest {@link #keepTokens()} out of
 * it, and stores the summary (at most {@link #summaryTokens()}). A range holds at most 256 messages:
 * a conversation that was never summarized catches up over several turns.
 *
 * <pre>{@code
 * Compaction compaction = Compaction.builder()
 *         .triggerTokens(8_000)     // summarize when summary + tail exceed this
 *         .keepTokens(3_000)        // the newest messages kept out of the summary
 *         .summaryTokens(1_000)     // the longest summary stored
 *         .build();
 * }</pre>
 *
 * @since 0.3
 */
public final class Compaction {
    /** The most messages one summary covers. */
    static final int MAX_RANGE = 256;

    private final int triggerTokens;
    private final int keepTokens;
    private final int summaryTokens;
    private final Summarizer summarizer;
    private final TokenCounter counter;
    private final Duration timeout;

    private Compaction(Builder b) {
        this.triggerTokens = b.triggerTokens;
        this.keepTokens = b.keepTokens;
        this.summaryTokens = b.summaryTokens;
        this.summarizer = b.summarizer;
        this.counter = b.counter;
        this.timeout = b.timeout;
    }

    /**
     * Starts a policy: by default 8,000 tokens trigger, 3,000 kept, summaries of at most 1,000
     * tokens, counted by {@link TokenCounter#approximate()}, written by the turn service's own
     * provider ({@link Summarizer#using}) within its reply timeout.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The token budget of the window, past which the conversation is summarized.
     *
     * @return the budget in tokens
     */
    public int triggerTokens() {
        return triggerTokens;
    }

    /**
     * How many tokens of the newest messages stay out of a new summary.
     *
     * @return tokens
     */
    public int keepTokens() {
        return keepTokens;
    }

    /**
     * The largest summary stored, in tokens; a larger one is refused and tried again later.
     *
     * @return tokens
     */
    public int summaryTokens() {
        return summaryTokens;
    }

    /**
     * The summarizer, if one was set.
     *
     * @return the summarizer, or empty to use the turn service's provider
     */
    public Optional<Summarizer> summarizer() {
        return Optional.ofNullable(summarizer);
    }

    /**
     * Counts the tokens of messages and summaries.
     *
     * @return the counter
     */
    public TokenCounter tokenCounter() {
        return counter;
    }

    /**
     * The longest a summarizer call may take, if set.
     *
     * @return the timeout, or empty to use the turn service's reply timeout
     */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    @Override
    public String toString() {
        return "Compaction[triggerTokens=" + triggerTokens + ", keepTokens=" + keepTokens + ", summaryTokens="
                + summaryTokens + "]";
    }

    /**
     * Configures a {@link Compaction}. Not thread-safe.
     *
     * @since 0.3
     */
    public static final class Builder {
        private int triggerTokens = 8_000;
        private int keepTokens = 3_000;
        private int summaryTokens = 1_000;
        private Summarizer summarizer;
        private TokenCounter counter = TokenCounter.approximate();
        private Duration timeout;

        private Builder() {}

        /**
         * Sets the window's budget, past which the conversation is summarized.
         *
         * @param tokens the budget, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code tokens} is not positive
         */
        public Builder triggerTokens(int tokens) {
            this.triggerTokens = Checks.positive("triggerTokens", tokens);
            return this;
        }

        /**
         * Sets how many tokens of the newest messages stay out of a new summary.
         *
         * @param tokens the tokens kept, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code tokens} is not positive
         */
        public Builder keepTokens(int tokens) {
            this.keepTokens = Checks.positive("keepTokens", tokens);
            return this;
        }

        /**
         * Sets the largest summary stored.
         *
         * @param tokens the limit, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code tokens} is not positive
         */
        public Builder summaryTokens(int tokens) {
            this.summaryTokens = Checks.positive("summaryTokens", tokens);
            return this;
        }

        /**
         * Sets who writes the summaries.
         *
         * @param value the summarizer
         * @return this builder
         * @throws NullPointerException if {@code value} is null
         */
        public Builder summarizer(Summarizer value) {
            this.summarizer = Objects.requireNonNull(value, "summarizer");
            return this;
        }

        /**
         * Sets the token counter of the window and of the summaries.
         *
         * @param value the counter
         * @return this builder
         * @throws NullPointerException if {@code value} is null
         */
        public Builder tokenCounter(TokenCounter value) {
            this.counter = Objects.requireNonNull(value, "tokenCounter");
            return this;
        }

        /**
         * Sets the longest one summarizer call may take.
         *
         * @param value the timeout, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code value} is not positive
         * @throws NullPointerException if {@code value} is null
         */
        public Builder timeout(Duration value) {
            this.timeout = Checks.positive("timeout", value);
            return this;
        }

        /**
         * Validates the policy.
         *
         * @return the policy
         * @throws IllegalStateException if {@code keepTokens + summaryTokens} is not below
         *     {@code triggerTokens} (a compacted conversation would trigger again at once)
         */
        public Compaction build() {
            if ((long) keepTokens + summaryTokens >= triggerTokens) {
                throw new IllegalStateException("keepTokens (" + keepTokens + ") + summaryTokens (" + summaryTokens
                        + ") must be below triggerTokens (" + triggerTokens + "): a compacted conversation would"
                        + " trigger again at once");
            }
            return new Compaction(this);
        }
    }
}
