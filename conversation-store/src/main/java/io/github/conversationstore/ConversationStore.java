package io.github.conversationstore;

import io.github.conversationstore.spi.TokenCounter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Stores chat conversations: ordered messages per session, appended atomically and exactly once.
 *
 * <p>Guarantees of every implementation:
 * <ul>
 *   <li><b>Atomic batch</b>: the messages of one append become visible together, contiguous and in
 *       the given order, or not at all.</li>
 *   <li><b>Total order</b>: the messages of a session have the sequence numbers 0, 1, 2, ... with no
 *       gaps, and a message's number never changes.</li>
 *   <li><b>Exactly once</b>: an append id is applied once per session; a repeat is reported as
 *       {@linkplain AppendResult#duplicate() duplicate} and writes nothing. Repeats are recognized
 *       as long as fewer than 2,048 other appends (configurable) were made to the session since,
 *       however much time passed.</li>
 *   <li><b>One content per append id</b>: a repeat whose messages differ (roles, texts,
 *       attributes) is refused with {@link AppendConflictException}, never silently dropped.</li>
 *   <li><b>Fencing</b>: an append {@linkplain AppendRequest#leaseHolder() fenced} by a lease holder
 *       is written only while that holder holds the session's lease, checked atomically with the
 *       write.</li>
 *   <li><b>No race errors</b>: concurrent appends, also to a session that does not exist yet, never
 *       fail because of each other.</li>
 *   <li><b>Prefix-consistent reads</b>: a read never shows a batch without every batch before it.</li>
 *   <li><b>Final erasure</b> (since 0.3): an append id applied before
 *       {@link #deleteConversation(String)} is never applied after it, not by the store's own retry
 *       of an attempt whose reply was lost, nor by the caller's repeat: it gets
 *       {@link AppendErasedException} (within the dedup window's count of appends).</li>
 * </ul>
 *
 * <p>For example, with any implementation ({@link InMemoryConversationStore}, {@link MongoConversationStore}):
 *
 * <!-- snippet file="io/github/conversationstore/examples/StoreExamplesTest.java" region="conversation-store" -->
 * <pre>{@code
 * // One atomic append: both messages or neither, numbered 0 and 1
 * store.appendMessages("session-42", "en", List.of(
 *         Message.user("What is the capital of Peru?"),
 *         Message.assistant("Lima.")));
 *
 * // The prompt window: the last 20 messages, oldest first, tool calls kept with their results
 * List<StoredMessage> window = store.promptWindow("session-42", 20);
 *
 * // The whole history, a page at a time, however long it grew
 * List<StoredMessage> page = store.readMessages("session-42", 0, 100);
 * ConversationHeader header = store.findConversation("session-42").orElseThrow();
 *
 * // Erasure: the messages and the header are gone, and the append ids stay refused
 * long erased = store.deleteConversation("session-42");
 * }</pre>
 *
 * <p>Implementations are thread-safe. Close a store to release what it owns (a store built on a
 * caller's {@code MongoClient} leaves that client open).
 *
 * @since 0.1.0
 */
public interface ConversationStore extends AutoCloseable {

    /** Largest {@code limit} accepted by the read methods. */
    int MAX_READ_LIMIT = 10_000;

    /**
     * Most messages in one append ({@link AppendRequest#messages()}).
     *
     * @since 0.2.0
     */
    int MAX_MESSAGES_PER_APPEND = 256;

    /**
     * Longest session id, in characters.
     *
     * @since 0.2.0
     */
    int MAX_SESSION_ID_LENGTH = 256;

    /**
     * Longest message id, append id or lease holder, in characters.
     *
     * @since 0.2.0
     */
    int MAX_ID_LENGTH = 128;

    /**
     * The longest message text a store takes unless its builder says otherwise
     * ({@code maxTextBytes}): 64 KiB, in UTF-8 bytes.
     *
     * @since 0.2.0
     */
    int DEFAULT_MAX_TEXT_BYTES = 64 * 1024;

    /**
     * The largest message, as stored (BSON: parts, attributes and metadata), a store takes unless its
     * builder says otherwise ({@code maxMessageBytes}): 256 KiB.
     *
     * @since 0.2.0
     */
    int DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

    /**
     * How many of a session's last append ids a store remembers unless its builder says otherwise
     * ({@code appendIdWindow}).
     *
     * @since 0.2.0
     */
    int DEFAULT_APPEND_ID_WINDOW = 2048;

    /**
     * How many conversations {@link #eraseOwner(Owner)} lists and erases per page.
     *
     * @since 0.3
     */
    int ERASE_OWNER_BATCH = 100;

    /**
     * Appends messages to a conversation, creating it if needed, under a new random append id.
     *
     * <p>Equivalent to {@code appendMessages(AppendRequest.of(sessionId, language, messages))}.
     *
     * @param sessionId the conversation's key
     * @param language the conversation's language as a BCP 47 tag, recorded on creation
     * @param messages 1 to 256 messages, stored contiguously in this order
     * @return the sequence numbers given and whether the conversation was created
     * @throws IllegalArgumentException if an argument breaks a rule of {@link AppendRequest}, or a
     *     message text is longer than the store allows; nothing is stored
     * @throws ConversationStoreException if the append could not be applied (see its subtypes)
     */
    default AppendResult appendMessages(String sessionId, String language, List<Message> messages) {
        return appendMessages(AppendRequest.of(sessionId, language, messages));
    }

    /**
     * Appends the request's messages to its conversation, creating it if needed, unless the
     * request's append id was applied before.
     *
     * @param request what to append, with its idempotency key
     * @return the sequence numbers given (or given before, for a duplicate), whether the
     *     conversation was created, and whether the append id was a duplicate
     * @throws IllegalArgumentException if a message text is longer than the store allows, or the
     *     request breaks a store limit; nothing is stored
     * @throws ConversationTooLargeException if the conversation's document cannot take the batch
     * @throws ConversationStoreUnavailableException if the database did not answer; retry with the
     *     same request
     * @throws ConcurrentAppendException if the session kept being deleted under the append through
     *     every bounded retry; retry with the same request (races lost to other writers are retried
     *     until the operation timeout)
     * @throws AppendConflictException if the append id was applied before with other messages
     * @throws LeaseLostException if the request is fenced and its holder no longer holds the lease
     *     (checked before the append id: also when the append id is stored already)
     * @throws AppendErasedException if the append id was applied before the conversation was
     *     deleted (since 0.3)
     * @throws SequenceMismatchException if the request expects a sequence and the session's next
     *     is another; nothing is stored (since 0.3)
     */
    AppendResult appendMessages(AppendRequest request);

    /**
     * Reads the last {@code limit} messages of a conversation, oldest first: the prompt window.
     *
     * @param sessionId the conversation's key
     * @param limit how many messages at most, 1 to {@value #MAX_READ_LIMIT}
     * @return up to {@code limit} messages with consecutive sequence numbers ending at the last
     *     message; empty if the conversation does not exist
     * @throws IllegalArgumentException if {@code sessionId} or {@code limit} is invalid
     * @throws ConversationStoreUnavailableException if the database did not answer
     */
    List<StoredMessage> recentMessages(String sessionId, int limit);

    /**
     * Reads the last {@code limit} messages of a conversation as a window safe to send to a model:
     * {@link #recentMessages(String, int)} without the tool calls that lack their results and the
     * results that lack their calls (see {@link ToolPairs#keepWhole(List)}). Use it to build your own
     * prompts; the turn service's windows follow the same rule.
     *
     * @param sessionId the conversation's key
     * @param limit how many messages to read at most, 1 to {@value #MAX_READ_LIMIT}; the window may
     *     hold fewer
     * @return the window, oldest first; empty if the conversation does not exist
     * @throws IllegalArgumentException if {@code sessionId} or {@code limit} is invalid
     * @throws ConversationStoreUnavailableException if the database did not answer
     * @since 0.2.0
     */
    default List<StoredMessage> promptWindow(String sessionId, int limit) {
        return ToolPairs.keepWhole(recentMessages(sessionId, limit));
    }

    /**
     * Reads up to {@code limit} messages starting at sequence number {@code fromSequence}, oldest
     * first. To page through a whole conversation, start at 0 and continue at the last returned
     * sequence number plus one until a page comes back shorter than {@code limit}.
     *
     * @param sessionId the conversation's key
     * @param fromSequence the first sequence number wanted, 0 or more
     * @param limit how many messages at most, 1 to {@value #MAX_READ_LIMIT}
     * @return the messages with sequence numbers {@code fromSequence, fromSequence + 1, ...}; empty
     *     if there are none
     * @throws IllegalArgumentException if an argument is invalid
     * @throws ConversationStoreUnavailableException if the database did not answer
     */
    List<StoredMessage> readMessages(String sessionId, long fromSequence, int limit);

    /**
     * Lists conversations by session id, in order, a page at a time: the ids after
     * {@code afterSessionId} (or from the first, if null), at most {@code limit}. To list all, start
     * with null and continue after the last id returned until a page comes back shorter than
     * {@code limit}. In MongoDB one indexed query per page, reading one small field per conversation.
     * A session that only holds a lease, with no message, is not a conversation.
     *
     * @param afterSessionId the last id of the previous page, or null for the first page
     * @param limit how many ids at most, 1 to {@value #MAX_READ_LIMIT}
     * @return the session ids, ascending (by UTF-8 bytes, as MongoDB orders strings)
     * @throws IllegalArgumentException if {@code limit} is invalid
     * @throws ConversationStoreUnavailableException if the database did not answer
     * @throws UnsupportedOperationException if the store cannot list (the default)
     * @since 0.2.0
     */
    default List<String> listConversationIds(String afterSessionId, int limit) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot list conversations");
    }

    /**
     * Lists one owner's conversations by session id, a page at a time: their headers after
     * {@code afterSessionId} (or from the first, if null), at most {@code limit}, as
     * {@link #listConversationIds(String, int)} pages. In MongoDB one query per page on the index
     * {@code {owner: 1, sessionId: 1}}: its cost does not depend on how many conversations other
     * owners have.
     *
     * @param owner whose conversations
     * @param afterSessionId the last id of the previous page, or null for the first page
     * @param limit how many headers at most, 1 to {@value #MAX_READ_LIMIT}
     * @return the headers, ascending by session id (by UTF-8 bytes, as MongoDB orders strings)
     * @throws NullPointerException if {@code owner} is null
     * @throws IllegalArgumentException if {@code limit} is invalid
     * @throws ConversationStoreUnavailableException if the database did not answer
     * @throws UnsupportedOperationException if the store cannot list (the default)
     * @since 0.3
     */
    default List<ConversationHeader> listConversations(Owner owner, String afterSessionId, int limit) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot list conversations by owner");
    }

    /**
     * Erases every conversation of an owner, as {@link #deleteConversation(String)} erases one, in
     * pages of {@value #ERASE_OWNER_BATCH}: their messages, archive, headers and leases. Idempotent and
     * resumable: calling it again after a crash or a timeout finishes the job (in MongoDB, also the
     * archive of a conversation whose erasure was interrupted). It returns once a scan finds no
     * conversation of the owner: a conversation the owner starts while it runs is erased whole if a
     * scan finds it, and otherwise kept whole, never half; to stop new ones, stop the user's
     * sessions before calling it.
     *
     * @param owner whose conversations
     * @return what this call erased; zero counts for an owner with no conversation
     * @throws NullPointerException if {@code owner} is null
     * @throws ConcurrentAppendException if the owner kept writing to a conversation erased three times
     *     by this call
     * @throws ConversationStoreUnavailableException if the database did not answer; call it again
     * @throws UnsupportedOperationException if the store cannot list (the default)
     * @since 0.3
     */
    default OwnerErasure eraseOwner(Owner owner) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot erase by owner");
    }

    /**
     * The context that fits a token budget, counted by {@link TokenCounter#approximate()}.
     *
     * @param sessionId the conversation
     * @param budget the budget in tokens, positive
     * @return the window
     * @throws IllegalArgumentException if {@code budget} is zero or negative
     * @throws UnsupportedOperationException if the store keeps no summaries
     * @since 0.3
     * @see #contextWindow(String, int, TokenCounter)
     */
    default ContextWindow contextWindow(String sessionId, int budget) {
        return contextWindow(sessionId, budget, TokenCounter.approximate());
    }

    /**
     * The context that fits a token budget: the newest summary whose token count fits, then the
     * messages after it, newest first while they fit (a tool call with its results as one item, taken
     * whole or not at all), returned oldest first with each message's token count. Without a summary
     * that fits, the messages come from the whole tail. It reads the summaries and the recent messages
     * only, never the history before the summary, so its cost does not grow with the conversation.
     *
     * @param sessionId the conversation
     * @param budget the budget in tokens, positive
     * @param counter counts a message's tokens
     * @return the window; empty if the session holds no messages
     * @throws IllegalArgumentException if {@code budget} is zero or negative
     * @throws UnsupportedOperationException if the store keeps no summaries
     * @since 0.3
     */
    default ContextWindow contextWindow(String sessionId, int budget, TokenCounter counter) {
        return ContextWindows.build(this, sessionId, budget, counter);
    }

    /**
     * Stores a summary of a range of the conversation's current life, beside its messages (nothing
     * is deleted). Writing a summary is idempotent: its id is derived from the session, the life and
     * the range, so a second write of the same range (a retry, or another process summarizing the
     * same range) stores nothing and returns the summary stored first.
     *
     * <p>A new range starts at 0 or where the newest stored summary ends, and ends after it. It
     * never ends inside a tool exchange: the message at {@code toSequence}, if any, is no
     * {@link Role#TOOL} message.
     *
     * @param sessionId the conversation
     * @param summary the summary to store
     * @return the summary stored for that range: {@code summary}, or the one stored before it
     * @throws IllegalArgumentException if the range goes beyond the stored messages, overlaps the
     *     stored summaries otherwise than described above, or ends inside a tool exchange (nothing is
     *     written)
     * @throws java.util.NoSuchElementException if the session holds no messages
     * @throws UnsupportedOperationException if the store keeps no summaries (the default)
     * @since 0.3
     */
    default Summary writeSummary(String sessionId, Summary summary) {
        throw new UnsupportedOperationException(getClass().getName() + " keeps no summaries");
    }

    /**
     * The summaries of the conversation's current life, ordered by range ({@code fromSequence}, then
     * {@code toSequence}); empty if there are none or the session holds no messages.
     *
     * @param sessionId the conversation
     * @return the summaries, oldest first
     * @throws UnsupportedOperationException if the store keeps no summaries (the default)
     * @since 0.3
     */
    default List<Summary> summaries(String sessionId) {
        throw new UnsupportedOperationException(getClass().getName() + " keeps no summaries");
    }

    /**
     * Reads a conversation's header.
     *
     * @param sessionId the conversation's key
     * @return the header, or empty if the conversation does not exist
     * @throws IllegalArgumentException if {@code sessionId} is invalid
     * @throws ConversationStoreUnavailableException if the database did not answer
     */
    Optional<ConversationHeader> findConversation(String sessionId);

    /**
     * Deletes a conversation, all its messages and its lease. A later append starts a new conversation at
     * sequence number 0, and never shows a message of the deleted one. Idempotent: calling it again
     * (for example after a timeout whose outcome is unknown) completes an interrupted erasure. The
     * erasure is final: the append ids of the deleted conversation stay refused with
     * {@link AppendErasedException} (see {@link #appendMessages(AppendRequest)}).
     *
     * <p>With forks (since 0.3, see {@link #fork(String, long, String)}): deleting a fork leaves its
     * parent whole. Deleting a conversation that forks still reference is final for everything only
     * it holds: the conversation reads as deleted at once, and its messages (and summaries) beyond
     * the longest prefix any fork reads are deleted by this call; that shared prefix is kept, read
     * only through the forks, until the last fork referencing it is deleted (or removed by
     * retention and swept), and is then deleted too. Every fork keeps reading whole. The count
     * returned is the deleted conversation's message count.
     *
     * @param sessionId the conversation's key
     * @return how many messages this call deleted; 0 if it found no conversation (also when an
     *     earlier call, whose reply was lost, had deleted it)
     * @throws IllegalArgumentException if {@code sessionId} is invalid
     * @throws ConversationStoreUnavailableException if the database did not answer
     */
    long deleteConversation(String sessionId);

    /**
     * Forks a conversation: creates {@code newSessionId}, whose first {@code atSequence} messages
     * are those of {@code sessionId} (sequence numbers {@code 0 .. atSequence - 1} of its current
     * life), and which then grows on its own: its next append gets sequence number
     * {@code atSequence}. Nothing of the parent is copied: the fork references the parent's life and
     * range (its header's {@link ConversationHeader#forkedFrom()}), so its cost does not depend on
     * the parent's length. Reads ({@link #readMessages}, {@link #recentMessages}, windows, token
     * windows and summaries ending within the shared range) work across the boundary exactly as on
     * an ordinary conversation, also on a fork of a fork. Later appends to the parent are not seen
     * by the fork, nor the fork's by the parent.
     *
     * <p>The fork gets the parent's language and owner. Idempotent: a call repeated with the same
     * arguments (after a lost reply) makes no second fork and returns the fork's header. Deleting a
     * fork leaves its parent whole; deleting a parent keeps what its forks share with it (see
     * {@link #deleteConversation(String)}).
     *
     * @param sessionId the parent conversation
     * @param atSequence how many of the parent's messages the fork shares: 0 to the parent's
     *     message count
     * @param newSessionId the fork's session id: not the parent's, and not an existing or deleted
     *     conversation (a session that only holds a lease may be forked into)
     * @return the fork's header
     * @throws IllegalArgumentException naming the argument, if {@code atSequence} is negative or
     *     beyond the parent's message count, {@code newSessionId} is the parent's or names another
     *     conversation (or one that was deleted), or the parent does not exist or was deleted;
     *     nothing is written
     * @throws ConversationStoreUnavailableException if the database did not answer; retry with the
     *     same arguments
     * @throws UnsupportedOperationException if the store cannot fork (the default)
     * @since 0.3
     */
    default ConversationHeader fork(String sessionId, long atSequence, String newSessionId) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot fork conversations");
    }

    /**
     * Lists the forks made of a conversation (its direct children, of any of its lives), by session
     * id, a page at a time: their headers after {@code afterSessionId} (or from the first, if null),
     * at most {@code limit}, as {@link #listConversationIds(String, int)} pages. A deleted fork is
     * not listed. In MongoDB two queries per page, both by the parent's session id (the shard key)
     * and the children's, and two more per further batch of references when some of them name no
     * live fork (left over until {@code removeOrphanedArchives()} drops them).
     *
     * @param sessionId the parent conversation
     * @param afterSessionId the last id of the previous page, or null for the first page
     * @param limit how many headers at most, 1 to {@value #MAX_READ_LIMIT}
     * @return the forks' headers, ascending by session id (by UTF-8 bytes)
     * @throws IllegalArgumentException if {@code sessionId} or {@code limit} is invalid
     * @throws ConversationStoreUnavailableException if the database did not answer
     * @throws UnsupportedOperationException if the store cannot fork (the default)
     * @since 0.3
     */
    default List<ConversationHeader> listForks(String sessionId, String afterSessionId, int limit) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot fork conversations");
    }

    /**
     * Takes the session's lease for {@code holder} until {@code duration} from now, if no other
     * holder has an unexpired lease; a holder may take its own lease again (it is extended). The
     * lease lives with the conversation (in MongoDB, in the session's head document), so it
     * serializes work on a session across processes; a holder that dies loses it when it expires.
     * Taking a lease on a session without messages does not create a conversation.
     *
     * @param sessionId the conversation's key
     * @param language the conversation's language, recorded if the session's document is created
     * @param holder who takes the lease: unique per owner, such as a random UUID per turn
     * @param duration how long the lease lasts unless renewed, at least 1 millisecond
     * @return whether {@code holder} now holds the lease
     * @throws IllegalArgumentException if an argument is invalid
     * @throws ConversationStoreUnavailableException if the database did not answer
     * @since 0.1.0
     */
    boolean tryAcquireLease(String sessionId, String language, String holder, Duration duration);

    /**
     * Takes the session's lease for {@code holder} as {@link #tryAcquireLease(String, String, String,
     * Duration)} does, and also when the lease is held, unexpired, under the same non-null
     * {@code turnKey}: the work of one turn (one turn id) resumed by another holder takes its own
     * lease back at once, and the previous holder is fenced out from then on (its later
     * {@linkplain AppendRequest#leaseHolder() fenced} appends get {@link LeaseLostException}). The
     * lease records {@code turnKey} until it is released or taken under another key; a lease taken
     * with the four-argument method has none.
     *
     * <p>The default ignores {@code turnKey} and delegates to the four-argument method; both stores
     * of this library implement the takeover.
     *
     * @param sessionId the conversation's key
     * @param language the conversation's language, recorded if the session's document is created
     * @param holder who takes the lease: unique per owner, such as a random UUID per attempt
     * @param turnKey what the holder works on (such as a turn id), or null for none: a holder with
     *     the same key may take the lease over; not blank, at most 128 characters, no control
     *     characters
     * @param duration how long the lease lasts unless renewed, at least 1 millisecond
     * @return whether {@code holder} now holds the lease
     * @throws IllegalArgumentException if an argument is invalid
     * @throws ConversationStoreUnavailableException if the database did not answer
     * @since 0.3
     */
    default boolean tryAcquireLease(String sessionId, String language, String holder, String turnKey,
            Duration duration) {
        return tryAcquireLease(sessionId, language, holder, duration);
    }

    /**
     * Extends the session's lease, if {@code holder} still holds it (even if it has just expired
     * and nobody took it).
     *
     * @param sessionId the conversation's key
     * @param holder the holder
     * @param duration the new duration from now, at least 1 millisecond
     * @return whether {@code holder} holds the lease now
     * @throws IllegalArgumentException if an argument is invalid
     * @throws ConversationStoreUnavailableException if the database did not answer
     * @since 0.1.0
     */
    boolean renewLease(String sessionId, String holder, Duration duration);

    /**
     * Gives the session's lease up, if {@code holder} holds it; otherwise does nothing.
     *
     * @param sessionId the conversation's key
     * @param holder the holder
     * @throws IllegalArgumentException if an argument is invalid
     * @throws ConversationStoreUnavailableException if the database did not answer
     * @since 0.1.0
     */
    void releaseLease(String sessionId, String holder);

    /**
     * Releases what the store owns. Idempotent.
     */
    @Override
    void close();
}
