package io.github.conversationstore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Everything one {@link ConversationStore#appendMessages(AppendRequest)} call writes.
 *
 * <p>The append id is the idempotency key: a store applies an append id at most once per session,
 * so repeating a request (after a timeout, a crash, a user's double click) never stores its messages
 * twice. Use {@link #builder(String, String)} to set it; {@link #of(String, String, List)} generates
 * a random one, which protects the library's own retries but not the caller's.
 *
 * <p>A request with an append id, applied once however often it is sent:
 *
 * <!-- snippet file="io/github/conversationstore/examples/StoreExamplesTest.java" region="append-request" -->
 * <pre>{@code
 * AppendRequest request = AppendRequest.builder("session-42", "es")
 *         .appendId("request-7")          // the idempotency key: applied once per session
 *         .messages(Message.user("¿Y mañana?"), Message.assistant("Mañana es sábado."))
 *         .headerAttribute("level", "A2") // merged into the header in the same atomic step
 *         .build();
 * AppendResult first = store.appendMessages(request);
 * AppendResult again = store.appendMessages(request); // a retry after a timeout: nothing written
 * // again.duplicate() is true, and again.firstSequence() is first.firstSequence()
 * }</pre>
 *
 * <p>An append fenced by the session's lease, as the turn service makes them:
 *
 * <!-- snippet file="io/github/conversationstore/examples/StoreExamplesTest.java" region="fenced-append" -->
 * <pre>{@code
 * if (store.tryAcquireLease("session-42", "es", "worker-1", Duration.ofSeconds(30))) {
 *     store.appendMessages(AppendRequest.builder("session-42", "es")
 *             .leaseHolder("worker-1")            // written only while worker-1 holds the lease,
 *             .renewLease(Duration.ofSeconds(30)) // which lasts 30 s more from then on
 *             .messages(Message.assistant("Hola."))
 *             .build());
 *     store.releaseLease("session-42", "worker-1");
 * }
 * }</pre>
 *
 * <p>The constructor throws {@link NullPointerException} naming a null component, and
 * {@link IllegalArgumentException} naming the component and the rule it breaks.
 *
 * @param sessionId the conversation's key: not blank, at most 256 characters, no control characters
 * @param language the conversation's language as a BCP 47 tag, stored in canonical form
 *     ({@code zh-cn} becomes {@code zh-CN}); it is recorded when the conversation is created
 * @param messages 1 to 256 messages, stored contiguously in this order
 * @param appendId the idempotency key: not blank, at most 128 characters, no control characters
 * @param headerAttributes attributes merged into the conversation header in the same atomic step
 * @param leaseHolder for a fenced append, the holder that must hold the session's lease (see
 *     {@link ConversationStore#tryAcquireLease}) when the messages are written, checked in the same
 *     atomic step; {@code null} for an append that does not depend on the lease
 * @param renewLease for a fenced append, how long from the server's now the lease lasts after the
 *     append, extended in the same atomic step as the write (also when the append id is a
 *     duplicate); {@code null} to leave the lease's expiry as it is. Positive, and only with
 *     {@code leaseHolder} (since 0.3)
 * @param dedupBeyondWindow whether the append id is recognized as a repeat however many appends
 *     were made to the session since (not only within the dedup window): the store looks the id up
 *     in the archive too, one more indexed read for this append only (since 0.3)
 * @param owner whom the conversation belongs to, or {@code null} to name none: the first append
 *     that names an owner sets it, and every later append that names one must name the same (else
 *     {@link OwnerMismatchException}, nothing written); an append naming none writes to any
 *     conversation, unless the store requires owners (since 0.3)
 * @param expectedSequence the sequence number the caller expects the batch's first message to get
 *     (the session's message count: 0 for a session not written yet, or written again after its
 *     deletion), checked in the same atomic step as the write; if the session has moved on, the
 *     append is refused with {@link SequenceMismatchException}, which carries the actual next
 *     sequence, and nothing is written. A repeat of an applied append id is still reported as a
 *     duplicate, whatever the session holds now. {@code null} to append wherever the session ends;
 *     not negative (since 0.3)
 * @param requireExisting whether the append is written only to a conversation that exists (it
 *     holds messages, or is a fork, and was not deleted since): to one that does not (never
 *     written, deleted, or holding only a lease) it is refused with
 *     {@link ConversationNotFoundException} and nothing is written, where an append without it
 *     would start the conversation (or a new life of it). Checked in the same atomic step as the
 *     write, so an append racing an erasure either lands before it (and is erased with it) or is
 *     refused. A repeat of an applied append id is still reported as a duplicate (or refused with
 *     {@link AppendErasedException} once erased). Not with an {@code expectedSequence} of 0
 *     (since 0.3)
 * @since 0.1.0
 */
public record AppendRequest(
        String sessionId,
        String language,
        List<Message> messages,
        String appendId,
        Map<String, String> headerAttributes,
        String leaseHolder,
        Duration renewLease,
        boolean dedupBeyondWindow,
        Owner owner,
        Long expectedSequence,
        boolean requireExisting) {

    /**
     * Validates and normalizes the components (see the class comment for the rules).
     *
     * @param sessionId see the class comment
     * @param language see the class comment
     * @param messages see the class comment
     * @param appendId see the class comment
     * @param headerAttributes see the class comment
     * @param leaseHolder see the class comment; may be null
     * @param renewLease see the class comment; may be null
     * @param dedupBeyondWindow see the class comment
     * @param owner see the class comment; may be null
     * @param expectedSequence see the class comment; may be null
     * @param requireExisting see the class comment
     * @throws NullPointerException if a component other than {@code leaseHolder}, {@code renewLease},
     *     {@code owner} or {@code expectedSequence} is null
     * @throws IllegalArgumentException if a component breaks its rule, {@code renewLease} is
     *     given without {@code leaseHolder}, or {@code requireExisting} with an
     *     {@code expectedSequence} of 0
     * @since 0.3
     */
    public AppendRequest {
        sessionId = Checks.sessionId(sessionId);
        language = Checks.language(language);
        messages = Checks.messages(messages);
        appendId = Checks.identifier("appendId", appendId, Checks.MAX_ID_LENGTH);
        headerAttributes = Checks.attributes("headerAttributes", headerAttributes, Set.of());
        if (leaseHolder != null) {
            Checks.identifier("leaseHolder", leaseHolder, Checks.MAX_ID_LENGTH);
        }
        if (renewLease != null) {
            if (leaseHolder == null) {
                throw new IllegalArgumentException("renewLease requires a leaseHolder: only a fenced append can renew its lease");
            }
            Checks.atLeast("renewLease", renewLease, Duration.ofMillis(1));
        }
        if (expectedSequence != null && expectedSequence < 0) {
            throw new IllegalArgumentException("expectedSequence must not be negative: it is the sequence number the"
                    + " batch's first message is to get (0 for a new session), got " + expectedSequence);
        }
        if (requireExisting && expectedSequence != null && expectedSequence == 0) {
            throw new IllegalArgumentException("requireExisting contradicts an expectedSequence of 0: an existing"
                    + " conversation's next sequence is never 0 (expect 0 to create one)");
        }
    }

    /**
     * Creates a request that expects no sequence.
     *
     * @param sessionId see the class comment
     * @param language see the class comment
     * @param messages see the class comment
     * @param appendId see the class comment
     * @param headerAttributes see the class comment
     * @param leaseHolder see the class comment; may be null
     * @param renewLease see the class comment; may be null
     * @param dedupBeyondWindow see the class comment
     * @param owner see the class comment; may be null
     * @throws NullPointerException if a component other than {@code leaseHolder}, {@code renewLease}
     *     or {@code owner} is null
     * @throws IllegalArgumentException if a component breaks its rule
     * @since 0.3
     */
    public AppendRequest(String sessionId, String language, List<Message> messages, String appendId,
            Map<String, String> headerAttributes, String leaseHolder, Duration renewLease, boolean dedupBeyondWindow,
            Owner owner) {
        this(sessionId, language, messages, appendId, headerAttributes, leaseHolder, renewLease, dedupBeyondWindow,
                owner, null, false);
    }

    /**
     * Creates a request that renews no lease and is deduplicated within the dedup window.
     *
     * @param sessionId see the class comment
     * @param language see the class comment
     * @param messages see the class comment
     * @param appendId see the class comment
     * @param headerAttributes see the class comment
     * @param leaseHolder see the class comment; may be null
     * @throws NullPointerException if a component other than {@code leaseHolder} is null
     * @throws IllegalArgumentException if a component breaks its rule
     * @since 0.2.0
     */
    public AppendRequest(String sessionId, String language, List<Message> messages, String appendId,
            Map<String, String> headerAttributes, String leaseHolder) {
        this(sessionId, language, messages, appendId, headerAttributes, leaseHolder, null, false, null, null, false);
    }

    /**
     * Creates a request that does not depend on the session's lease.
     *
     * @param sessionId see the class comment
     * @param language see the class comment
     * @param messages see the class comment
     * @param appendId see the class comment
     * @param headerAttributes see the class comment
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if a component breaks its rule
     */
    public AppendRequest(String sessionId, String language, List<Message> messages, String appendId,
            Map<String, String> headerAttributes) {
        this(sessionId, language, messages, appendId, headerAttributes, null, null, false, null, null, false);
    }

    /**
     * Returns whether the append is fenced by a lease holder.
     *
     * @return {@code leaseHolder() != null}
     * @since 0.2.0
     */
    public boolean isFenced() {
        return leaseHolder != null;
    }

    /**
     * Creates a request with a random append id and no header attributes.
     *
     * @param sessionId the conversation's key
     * @param language the conversation's language (BCP 47)
     * @param messages the messages to append, in order
     * @return the request
     * @throws IllegalArgumentException if an argument is invalid (see the record's rules)
     */
    public static AppendRequest of(String sessionId, String language, List<Message> messages) {
        return new AppendRequest(sessionId, language, messages, newAppendId(), Map.of());
    }

    /**
     * Starts a request for this session and language.
     *
     * @param sessionId the conversation's key
     * @param language the conversation's language (BCP 47)
     * @return a builder; {@link Builder#build()} validates everything
     */
    public static Builder builder(String sessionId, String language) {
        return new Builder(sessionId, language);
    }

    /**
     * Returns a new random append id.
     *
     * @return a random UUID string
     */
    public static String newAppendId() {
        return UUID.randomUUID().toString();
    }

    /**
     * Builds an {@link AppendRequest}. Not thread-safe.
     *
     * @since 0.1.0
     */
    public static final class Builder {
        private final String sessionId;
        private final String language;
        private final List<Message> messages = new ArrayList<>();
        private final Map<String, String> headerAttributes = new LinkedHashMap<>();
        private String appendId;
        private String leaseHolder;
        private Duration renewLease;
        private boolean dedupBeyondWindow;
        private Owner owner;
        private Long expectedSequence;
        private boolean requireExisting;

        private Builder(String sessionId, String language) {
            this.sessionId = sessionId;
            this.language = language;
        }

        /**
         * Adds messages, after those added before.
         *
         * @param more the messages
         * @return this builder
         */
        public Builder messages(List<Message> more) {
            messages.addAll(Objects.requireNonNull(more, "messages"));
            return this;
        }

        /**
         * Adds messages, after those added before.
         *
         * @param more the messages
         * @return this builder
         */
        public Builder messages(Message... more) {
            return messages(List.of(more));
        }

        /**
         * Sets the idempotency key; without it, {@link #build()} generates a random one.
         *
         * @param id the append id
         * @return this builder
         */
        public Builder appendId(String id) {
            this.appendId = Objects.requireNonNull(id, "appendId");
            return this;
        }

        /**
         * Fences the append: it is written only while {@code holder} holds the session's lease,
         * checked in the same atomic step as the write; otherwise the store throws
         * {@link LeaseLostException} and writes nothing. A turn that lost its lease (a pause longer
         * than the lease, a slow network) can then never write after the turn that took it over.
         *
         * @param holder the lease holder
         * @return this builder
         * @since 0.2.0
         */
        public Builder leaseHolder(String holder) {
            this.leaseHolder = Objects.requireNonNull(holder, "leaseHolder");
            return this;
        }

        /**
         * Makes the fenced append also extend its lease to the server's now plus {@code duration},
         * in the same atomic step as the write, so that a turn needs no separate renewal before a
         * step. A duplicate of the append id renews it too (while the holder holds the lease).
         * Requires {@link #leaseHolder(String)}.
         *
         * @param duration how long the lease lasts after the append, at least 1 millisecond
         * @return this builder
         * @throws NullPointerException if {@code duration} is null
         * @see ConversationStore#renewLease(String, String, Duration)
         * @since 0.3
         */
        public Builder renewLease(Duration duration) {
            this.renewLease = Objects.requireNonNull(duration, "renewLease");
            return this;
        }

        /**
         * Sets whether the append id is recognized as a repeat however many appends were made to
         * the session since (default false: within the dedup window, see
         * {@link InMemoryConversationStore.Builder#appendIdWindow(int)}). A repeat is then reported
         * as a duplicate with its original sequence numbers, or refused with
         * {@link AppendConflictException} if its messages differ. Costs two more reads (the head's
         * position, then an indexed read of the archive), for this append only: use it for appends that may be retried much later, such as a turn's first
         * step.
         *
         * @param value whether to look the append id up beyond the window
         * @return this builder
         * @since 0.3
         */
        public Builder dedupBeyondWindow(boolean value) {
            this.dedupBeyondWindow = value;
            return this;
        }

        /**
         * Names whom the conversation belongs to (see {@link AppendRequest#owner()}): set by the
         * first append that names one, in the same atomic step as the messages, and fixed from then on.
         *
         * @param value the owner
         * @return this builder
         * @throws NullPointerException if {@code value} is null
         * @since 0.3
         */
        public Builder owner(Owner value) {
            this.owner = Objects.requireNonNull(value, "owner");
            return this;
        }

        /**
         * Makes the append conditional on where the session ends (see
         * {@link AppendRequest#expectedSequence()}): it is written only if its first message gets
         * sequence number {@code sequence}, else refused with {@link SequenceMismatchException} and
         * nothing written. This is optimistic concurrency for callers that read a conversation,
         * decide, and must not write if someone else wrote in between.
         *
         * @param sequence the expected sequence number of the batch's first message, not negative
         * @return this builder
         * @since 0.3
         */
        public Builder expectedSequence(long sequence) {
            this.expectedSequence = sequence;
            return this;
        }

        /**
         * Makes the append apply only to a conversation that exists (see
         * {@link AppendRequest#requireExisting()}): to one never written, deleted, or holding only
         * a lease, it is refused with {@link ConversationNotFoundException} and nothing is
         * written. For callers that must not start a conversation by appending to it, such as an
         * append racing another instance's erasure of the session.
         *
         * @return this builder
         * @since 0.3
         */
        public Builder requireExisting() {
            this.requireExisting = true;
            return this;
        }

        /**
         * Sets a header attribute, written in the same atomic step as the messages.
         *
         * @param key the attribute key (no leading {@code $}, no {@code .}, no NUL)
         * @param value the value
         * @return this builder
         */
        public Builder headerAttribute(String key, String value) {
            headerAttributes.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Validates and builds the request.
         *
         * @return the request
         * @throws IllegalArgumentException if a field is invalid (see {@link AppendRequest}), or
         *     {@link #renewLease(Duration)} was set without {@link #leaseHolder(String)}, or
         *     {@link #requireExisting()} with an {@link #expectedSequence(long)} of 0
         */
        public AppendRequest build() {
            return new AppendRequest(sessionId, language, messages,
                    appendId == null ? newAppendId() : appendId, headerAttributes, leaseHolder, renewLease,
                    dedupBeyondWindow, owner, expectedSequence, requireExisting);
        }
    }
}
