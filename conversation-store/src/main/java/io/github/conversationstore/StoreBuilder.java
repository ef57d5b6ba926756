package io.github.conversationstore;

import io.github.conversationstore.spi.KeyProvider;
import io.github.conversationstore.spi.StoreListener;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The settings both stores share. Package-private: its public methods appear on each store's
 * builder.
 *
 * @param <B> the concrete builder
 */
abstract class StoreBuilder<B extends StoreBuilder<B>> {
    Limits limits = Limits.DEFAULTS;
    Clock clock = Clock.systemUTC();
    private final List<StoreListener> listeners = new ArrayList<>();
    private boolean exposeSessionIds;
    boolean requireOwner;
    KeyProvider keyProvider;

    StoreBuilder() {}

    abstract B self();

    /**
     * Sets the longest message text accepted (its text parts together), in UTF-8 bytes (default 65536).
     *
     * @param bytes the bound, positive
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is not positive
     */
    public B maxTextBytes(int bytes) {
        limits = limits.withMaxTextBytes(bytes);
        return self();
    }

    /**
     * Sets the largest message accepted, as stored: its parts, attributes and metadata together,
     * counted in BSON bytes (default 262144, 256 KiB). An append with a larger message is refused
     * whole with an {@link IllegalArgumentException} naming the message.
     *
     * @param bytes the bound, positive
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is not positive
     * @since 0.2.0
     */
    public B maxMessageBytes(int bytes) {
        limits = limits.withMaxMessageBytes(bytes);
        return self();
    }

    /**
     * Sets how many of a session's last appends are remembered to recognize a repeated append id
     * (default 2,048, minimum 64). There is no time limit: a repeat is recognized however late it
     * comes (a retry after a long outage), unless this many other appends were made to the session
     * in between. In MongoDB each remembered append costs 9 bytes in the session's head, packed 64 to a
     * string.
     *
     * @param appends the window
     * @return this builder
     * @throws IllegalArgumentException if {@code appends} is below 64
     */
    public B appendIdWindow(int appends) {
        limits = limits.withAppendIdWindow(appends);
        return self();
    }

    /**
     * Adds a listener that hears what the store does (appends, reads, races absorbed, retries,
     * moves, erasures, sweeps); see {@link io.github.conversationstore.spi.StoreListener}. A listener
     * that throws never breaks an operation.
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
     * Sets whether events name the session (default false: session ids can be personal data, so
     * events carry an empty session id unless this is set).
     *
     * @param value whether to expose session ids to listeners
     * @return this builder
     * @since 0.2.0
     */
    public B exposeSessionIds(boolean value) {
        this.exposeSessionIds = value;
        return self();
    }

    /**
     * Sets whether every append must name an {@link io.github.conversationstore.Owner} (default
     * false). When set, an append naming none is refused with an {@link IllegalArgumentException}
     * and nothing is written.
     *
     * @param value whether owners are required
     * @return this builder
     * @since 0.3
     */
    public B requireOwner(boolean value) {
        this.requireOwner = value;
        return self();
    }

    /**
     * Encrypts message content on the client with a data key per conversation, wrapped by
     * {@code provider} (default: off, messages in clear). Texts, parts (tool calls' arguments, tool
     * results, media), message attributes, metadata and header attribute values are encrypted with
     * AES-256-GCM; ids, sequence numbers, roles, timestamps, sizes, owners and the rest of the header
     * stay in clear. Deleting a
     * conversation (and erasing its owner) destroys its data key first. See {@code docs/ENCRYPTION.md}
     * for what is in clear, rotation, and what each store does.
     *
     * @param provider the key provider, for example {@link LocalKeyProvider}
     *     or one backed by a KMS
     * @return this builder
     * @since 0.3
     */
    public B encryption(KeyProvider provider) {
        this.keyProvider = Objects.requireNonNull(provider, "provider");
        return self();
    }

    Observers observers() {
        return listeners.isEmpty() ? Observers.NONE : new Observers(listeners, exposeSessionIds);
    }

    /**
     * Sets the clock for {@code createdAt} and {@code updatedAt} (default: system UTC).
     *
     * @param value the clock
     * @return this builder
     */
    public B clock(Clock value) {
        this.clock = Objects.requireNonNull(value, "clock");
        return self();
    }
}
