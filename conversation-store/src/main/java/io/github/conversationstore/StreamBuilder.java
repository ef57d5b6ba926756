package io.github.conversationstore;

import java.time.Duration;
import java.util.Objects;

/**
 * The settings of streamed replies (how their drafts are written, how long a stream may pause) and
 * of what a turn does when its session is busy. Package-private: its public methods appear on
 * {@link TurnService.Builder}.
 *
 * @param <B> the concrete builder
 */
abstract class StreamBuilder<B extends StreamBuilder<B>> extends WindowBuilder<B> {
    Duration draftInterval = Duration.ofMillis(250);
    int draftBytes = 2048;
    /** Null: the reply timeout alone bounds a stream. */
    Duration deltaGapTimeout;
    BusyPolicy busyPolicy = BusyPolicy.REJECT;
    Duration queueTimeout = Duration.ofMinutes(5);

    StreamBuilder() {}

    /**
     * Sets how often at most the draft of a streamed reply is written (default 250 ms): a reply
     * streamed for {@code t} costs at most {@code t / interval} draft writes, plus those
     * {@link #draftBytes} adds, plus the end.
     *
     * @param interval the shortest time between two draft writes, positive
     * @return this builder
     * @throws IllegalArgumentException if {@code interval} is not positive
     * @since 0.3
     */
    public B draftInterval(Duration interval) {
        this.draftInterval = Checks.positive("draftInterval", interval);
        return self();
    }

    /**
     * Sets after how many bytes (UTF-8) of new text a draft is written before its interval
     * (default 2,048).
     *
     * @param bytes the bytes, positive
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is not positive
     * @since 0.3
     */
    public B draftBytes(int bytes) {
        this.draftBytes = Checks.positive("draftBytes", bytes);
        return self();
    }

    /**
     * Sets the longest a streamed reply may go without a new delta (from the start of the call to
     * the first delta, and between two): an attempt past it fails as timed out, and is retried like
     * any timed-out attempt. By default only the reply timeout bounds the whole stream.
     *
     * @param gap positive, and at most the reply timeout to have an effect
     * @return this builder
     * @throws IllegalArgumentException if {@code gap} is not positive
     * @since 0.3
     */
    public B deltaGapTimeout(Duration gap) {
        this.deltaGapTimeout = Checks.positive("deltaGapTimeout", gap);
        return self();
    }

    /**
     * Sets what a turn does when another turn of its session is running (default
     * {@link BusyPolicy#REJECT}); see {@link BusyPolicy} for how long each waits.
     *
     * @param policy the policy
     * @return this builder
     * @since 0.3
     */
    public B busyPolicy(BusyPolicy policy) {
        this.busyPolicy = Objects.requireNonNull(policy, "policy");
        return self();
    }

    /**
     * Sets how long a turn waits for its session under {@link BusyPolicy#QUEUE} and
     * {@link BusyPolicy#INTERRUPT} before it fails with {@link ConversationBusyException}
     * (default 5 minutes).
     *
     * @param value positive
     * @return this builder
     * @throws IllegalArgumentException if {@code value} is not positive
     * @since 0.3
     */
    public B queueTimeout(Duration value) {
        this.queueTimeout = Checks.positive("queueTimeout", value);
        return self();
    }
}
