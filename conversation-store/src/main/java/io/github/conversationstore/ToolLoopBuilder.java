package io.github.conversationstore;

import io.github.conversationstore.spi.Tool;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The settings of a turn's tool loop: the tools offered, how long and how often one call runs,
 * how many provider calls one turn may make. Package-private: its public methods appear on
 * {@link TurnService.Builder}.
 *
 * @param <B> the concrete builder
 */
abstract class ToolLoopBuilder<B extends ToolLoopBuilder<B>> {
    final Map<String, Tool> tools = new LinkedHashMap<>();
    Duration toolTimeout = Duration.ofSeconds(30);
    int maxToolAttempts = 3;
    int maxSteps = 8;

    ToolLoopBuilder() {}

    abstract B self();

    /**
     * Offers these tools to the model, in addition to those offered before.
     *
     * @param values the tools
     * @return this builder
     * @throws IllegalArgumentException if two tools have the same name
     * @since 0.2.0
     */
    public B tools(Tool... values) {
        for (Tool tool : values) {
            Objects.requireNonNull(tool, "tool");
            String name = Objects.requireNonNull(tool.spec(), "spec").name();
            if (tools.putIfAbsent(name, tool) != null) {
                throw new IllegalArgumentException("tools must have distinct names; '" + name + "' is offered twice");
            }
        }
        return self();
    }

    /**
     * Sets how long one run of a tool may take (default 30 s); a run that takes longer is
     * interrupted and counts as a retryable failure (it may have had an effect: it is run again
     * with the same idempotency key).
     *
     * @param value positive
     * @return this builder
     * @since 0.2.0
     */
    public B toolTimeout(Duration value) {
        this.toolTimeout = Checks.positive("toolTimeout", value);
        return self();
    }

    /**
     * Sets how many times one call is run at most in one {@code respond} (default 3): retryable
     * failures and timeouts are retried with the provider's backoff; when the last attempt
     * fails, the turn fails with a retryable {@link ReplyFailedException} and resumes by its id.
     *
     * @param attempts 1 or more
     * @return this builder
     * @since 0.2.0
     */
    public B maxToolAttempts(int attempts) {
        this.maxToolAttempts = Checks.positive("maxToolAttempts", attempts);
        return self();
    }

    /**
     * Sets how many provider calls one turn may make (default 8): a model that still asks for
     * tools after that many ends the turn with a {@link ReplyFailedException} that is not
     * retryable, every call answered.
     *
     * @param steps 1 to 99
     * @return this builder
     * @since 0.2.0
     */
    public B maxSteps(int steps) {
        if (steps < 1 || steps > 99) {
            throw new IllegalArgumentException("maxSteps must be between 1 and 99, was " + steps);
        }
        this.maxSteps = steps;
        return self();
    }
}
