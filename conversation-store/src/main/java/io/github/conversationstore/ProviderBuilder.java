package io.github.conversationstore;

import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.StoreListener;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * The settings of a turn's provider calls, lease and observation. Package-private: its public
 * methods appear on {@link TurnService.Builder}.
 *
 * @param <B> the concrete builder
 */
abstract class ProviderBuilder<B extends ProviderBuilder<B>> extends StreamBuilder<B> {
    ReplyProvider provider;
    String discoverName;
    boolean discover;
    Duration replyTimeout = Duration.ofSeconds(60);
    int maxProviderAttempts = 3;
    Duration retryBackoff = Duration.ofMillis(500);
    Duration leaseDuration;
    Duration busyTimeout = Duration.ofSeconds(30);
    String mode = ReplyRequest.CONVERSATION;
    Clock clock = Clock.systemUTC();
    Consumer<String> hook = step -> { };
    final List<StoreListener> listeners = new ArrayList<>();
    boolean exposeSessionIds;

    ProviderBuilder() {}

    /**
     * Uses this provider.
     *
     * @param value the provider
     * @return this builder
     */
    public B provider(ReplyProvider value) {
        this.provider = Objects.requireNonNull(value, "provider");
        return self();
    }

    /**
     * Uses the only provider {@link ServiceLoader} finds.
     *
     * @return this builder; {@link TurnService.Builder#build()} fails unless exactly one provider is found
     */
    public B discoverProvider() {
        this.discover = true;
        this.discoverName = null;
        return self();
    }

    /**
     * Uses the provider {@link ServiceLoader} finds under this {@linkplain ReplyProvider#name() name}.
     *
     * @param name the provider's name
     * @return this builder
     */
    public B discoverProvider(String name) {
        this.discover = true;
        this.discoverName = Objects.requireNonNull(name, "name");
        return self();
    }

    /**
     * Sets how long one provider call may take (default 60 s); a call that takes longer is
     * interrupted and counts as a retryable failure.
     *
     * @param value positive
     * @return this builder
     */
    public B replyTimeout(Duration value) {
        this.replyTimeout = Checks.positive("replyTimeout", value);
        return self();
    }

    /**
     * Sets how many times the provider is called for one turn at most (default 3).
     *
     * @param attempts 1 or more
     * @return this builder
     */
    public B maxProviderAttempts(int attempts) {
        this.maxProviderAttempts = Checks.positive("maxProviderAttempts", attempts);
        return self();
    }

    /**
     * Sets the pause before the second provider attempt (default 500 ms); it doubles for each
     * further attempt, up to 10 s.
     *
     * @param value zero or more
     * @return this builder
     */
    public B retryBackoff(Duration value) {
        this.retryBackoff = Checks.notNegative("retryBackoff", value);
        return self();
    }

    /**
     * Sets how long a turn's lease lasts between renewals (default: the reply timeout plus 30 s).
     * It must exceed the reply timeout, so that a live turn never loses its lease; a turn whose
     * process dies blocks the session for at most this long.
     *
     * @param value longer than the reply timeout
     * @return this builder
     */
    public B leaseDuration(Duration value) {
        this.leaseDuration = Checks.positive("leaseDuration", value);
        return self();
    }

    /**
     * Sets how long a turn waits for another turn of the same session before it fails with
     * {@link ConversationBusyException} (default 30 s).
     *
     * @param value zero or more
     * @return this builder
     */
    public B busyTimeout(Duration value) {
        this.busyTimeout = Checks.notNegative("busyTimeout", value);
        return self();
    }

    /**
     * Sets the mode passed to the provider (default {@value ReplyRequest#CONVERSATION}).
     *
     * @param value the mode
     * @return this builder
     */
    public B mode(String value) {
        this.mode = Objects.requireNonNull(value, "mode");
        return self();
    }

    /**
     * Sets the clock for message timestamps (default: system UTC).
     *
     * @param value the clock
     * @return this builder
     */
    public B clock(Clock value) {
        this.clock = Objects.requireNonNull(value, "clock");
        return self();
    }

    /**
     * Adds a listener that hears the turns: their start and end, lease waits, provider calls and
     * tool calls (see {@link StoreListener}; register it on the store's builder too for appends
     * and reads). A listener that throws never breaks a turn.
     *
     * @param listener the listener
     * @return this builder
     * @since 0.2.0
     */
    public B listener(StoreListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return self();
    }

    /**
     * Sets whether events name the session (default false: session ids can be personal data).
     *
     * @param value whether to expose session ids to listeners
     * @return this builder
     * @since 0.2.0
     */
    public B exposeSessionIds(boolean value) {
        this.exposeSessionIds = value;
        return self();
    }

    /** Test seam: called after each step of a turn (see the {@code STEP_} constants). */
    B hook(Consumer<String> value) {
        this.hook = Objects.requireNonNull(value, "hook");
        return self();
    }
}
