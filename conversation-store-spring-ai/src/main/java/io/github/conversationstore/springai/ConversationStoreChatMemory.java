package io.github.conversationstore.springai;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreException;
import io.github.conversationstore.Role;
import io.github.conversationstore.Summary;
import io.github.conversationstore.spi.TokenCounter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;

/**
 * A Spring AI {@link ChatMemory} that appends to a {@link ConversationStore}: the store's
 * guarantees (atomic, exactly-once, ordered, unbounded) behind the interface that
 * {@code MessageChatMemoryAdvisor} and {@code PromptChatMemoryAdvisor} use.
 *
 * <ul>
 *   <li>{@link #add(String, List)} appends exactly the given messages, after whatever the
 *       conversation holds, in one atomic append (batches of at most 256 messages). Nothing stored
 *       is ever read back or rewritten, so two application instances writing to one conversation
 *       lose nothing.</li>
 *   <li>Adding the same message object again (an advisor that runs twice, a retry after a timeout
 *       whose outcome is unknown) repeats its first append id, so the store applies it once.
 *       Messages this memory returned from {@link #get(String)} for the same conversation are
 *       already stored and are skipped. A new object with the same content is a new message.</li>
 *   <li>{@link #get(String)} reads only the window: the last {@code maxMessages} messages (default
 *       20), oldest first, with tool calls and their results kept whole
 *       ({@link ConversationStore#promptWindow(String, int)}), whatever the conversation's length.
 *       With a {@linkplain Builder#tokenBudget(int) token budget} instead, it reads the context
 *       window that fits the budget: the newest summary and the messages after it (see below).</li>
 *   <li>An assistant message with tool calls added without their results (Spring AI's
 *       user-controlled tool execution) is held in this memory until they are added, then appended
 *       with them in one atomic append, so that another instance's message never lands between a
 *       call and its result; {@link #get(String)} shows held calls after the window. A held call is
 *       dropped when the same thread adds an answer without its results, or a later call reuses its
 *       id; past 64 held calls in one conversation the oldest is stored alone.</li>
 *   <li>A message object stored by an append that succeeded stays known stored: adding it again
 *       stores nothing, however many appends later.</li>
 *   <li>{@link #clear(String)} erases the conversation and all its messages, and forgets what this
 *       memory knew of it (stored and sent message objects, held calls), whatever the store
 *       answered.</li>
 *   <li>A text over {@link Builder#maxTextBytes(int) maxTextBytes} or a tool result over
 *       {@link Builder#maxMessageBytes(int) maxMessageBytes} is stored cut to fit, with a marker,
 *       and logged as a WARNING; the read window holds only the latest system message.</li>
 * </ul>
 *
 * <p>For example, as the memory of a {@code ChatClient}'s {@code MessageChatMemoryAdvisor}:
 *
 * <!-- snippet file="io/github/conversationstore/springai/examples/SpringAiExamplesTest.java" region="chat-memory" -->
 * <pre>{@code
 * ChatMemory chatMemory = ConversationStoreChatMemory.builder(store)
 *         .language("en")
 *         .maxMessages(20) // get reads the last 20 messages; the history stays whole
 *         .build();
 * ChatClient chatClient = ChatClient.builder(chatModel)
 *         .defaultAdvisors(MessageChatMemoryAdvisor.builder(chatMemory).build())
 *         .build();
 * String reply = chatClient.prompt()
 *         .user("How do I say 'I am tired' in Spanish?")
 *         .advisors(advisor -> advisor.param(ChatMemory.CONVERSATION_ID, "session-42"))
 *         .call()
 *         .content();
 * // stored, in one atomic append each: the user's message, then the reply
 * }</pre>
 *
 * <p><b>Token windows and summaries</b> (since 0.3). Built with
 * {@link Builder#tokenBudget(int) tokenBudget(n)}, {@link #get(String)} returns the store's
 * {@linkplain ConversationStore#contextWindow(String, int, TokenCounter) context window} for
 * {@code n} tokens, counted by the {@linkplain Builder#tokenCounter(TokenCounter) token counter}
 * ({@link TokenCounter#approximate()} by default):
 * <ul>
 *   <li>first, when the conversation has a summary ({@link ConversationStore#writeSummary}) that
 *       fits, that summary as a {@link SystemMessage} whose text is the heading
 *       {@code "Summary of the earlier conversation (its first N messages, not repeated below):"},
 *       a blank line and the summary's text, and whose metadata hold {@value #SUMMARY_METADATA}: a
 *       map of the summary's {@code fromSequence}, {@code toSequence} and {@code tokenCount};</li>
 *   <li>then the newest messages after the summary that fit, oldest first, a tool call and its
 *       results taken whole or not at all; without a summary that fits, the newest messages of the
 *       whole conversation that fit;</li>
 *   <li>then the held tool calls, as with a message window.</li>
 * </ul>
 * Everything returned counts against the budget: the summary by its {@link Summary#tokenCount()},
 * its heading by the counter's count of the heading as a message of its own, every message and
 * every held call by the counter. A system message stored in the conversation counts as any other
 * message (Spring AI applications usually send their system prompt with each request rather than
 * store it) and, as in a message window, only the latest one in the window is returned. A message
 * that does not fit is left out of the window, never deleted. Nothing is ever deleted: the summary
 * stands beside the messages it covers, {@link ConversationStore#readMessages} still returns all of
 * them, and {@link #add(String, List)} stores nothing for the summary message (it is known, like
 * every message {@code get} returned). The message-count window stays the default; setting both
 * {@link Builder#maxMessages(int) maxMessages} and {@code tokenBudget} is refused by
 * {@link Builder#build()}. An example is in the project's docs/ADAPTERS.md.
 *
 * <p>Every Spring AI message type round-trips: system, user (with media), assistant (with tool calls,
 * media and metadata) and tool response messages read back equal to the messages added (how is told
 * in the project's docs/ADAPTERS.md). A new conversation is recorded with the configured
 * {@linkplain Builder#language(String) language}.
 *
 * <p>Errors: invalid arguments throw {@link IllegalArgumentException} (a null one
 * {@link NullPointerException}) and store nothing; everything else is a
 * {@link ConversationStoreException}, never a MongoDB driver exception. Thread-safe.
 *
 * @since 0.2.0
 */
public final class ConversationStoreChatMemory implements ChatMemory {
    /**
     * The metadata key of the summary message a token window starts with: its value is a map of the
     * summary's {@code fromSequence} and {@code toSequence} (longs) and {@code tokenCount} (an int).
     *
     * @since 0.3
     */
    public static final String SUMMARY_METADATA = "conversationStoreSummary";

    private final StoreMemory memory;
    /** The token budget of a read, or 0 for the message window. */
    private final int tokenBudget;
    private final TokenCounter tokenCounter;
    private final HeldCalls held = new HeldCalls();
    private final ReentrantLock[] locks = new ReentrantLock[64];

    private ConversationStoreChatMemory(Builder builder) {
        memory = builder.memory();
        tokenBudget = builder.tokenBudget;
        tokenCounter = builder.tokenCounter == null ? TokenCounter.approximate() : builder.tokenCounter;
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    /**
     * Starts a builder for a memory on this store.
     *
     * @param store the store; the memory does not close it
     * @return a builder with the defaults: language {@code und}, 20 messages per window
     * @throws NullPointerException if {@code store} is null
     * @since 0.2.0
     */
    public static Builder builder(ConversationStore store) {
        return new Builder(Objects.requireNonNull(store, "store"));
    }

    /**
     * Appends the messages to the conversation, creating it if needed, in one atomic append.
     *
     * @param conversationId the conversation, at most 256 characters, not blank
     * @param messages the messages, in order; an empty list stores nothing
     * @throws IllegalArgumentException if the conversation id is invalid or a message cannot be
     *     stored (see the class comment); nothing is stored
     * @throws ConversationStoreException if the store failed; calling again with the same message
     *     objects is safe
     * @since 0.2.0
     */
    @Override
    public void add(String conversationId, List<Message> messages) {
        StoreMemory.conversationId(conversationId);
        Objects.requireNonNull(messages, "messages");
        List<Message> unread = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            Message message = Objects.requireNonNull(messages.get(i), "messages[" + i + "]");
            if (memory.readFrom(message, conversationId) == null) {
                unread.add(message);
            }
        }
        if (unread.isEmpty()) {
            return;
        }
        List<io.github.conversationstore.Message> mapped = memory.map(unread); // all checked before any write
        ReentrantLock lock = locks[Math.floorMod(conversationId.hashCode(), locks.length)];
        lock.lock();
        try {
            List<HeldCalls.Held> waiting = held.of(conversationId);
            List<Message> batch = new ArrayList<>();
            List<io.github.conversationstore.Message> batchMapped = new ArrayList<>();
            synchronized (waiting) {
                for (int i = 0; i < unread.size(); i++) {
                    Message message = unread.get(i);
                    io.github.conversationstore.Message stored = mapped.get(i);
                    if (HeldCalls.holds(waiting, message)) {
                        continue;
                    }
                    if (memory.sentBefore(message, conversationId)) {
                        batch.add(message); // sent again under its first append id
                        batchMapped.add(stored);
                        continue;
                    }
                    HeldCalls.Held call = stored.toolResults().isEmpty() ? null : HeldCalls.waitingFor(waiting, stored);
                    if (call != null) {
                        call.add(message, stored);
                        if (call.outstanding.isEmpty()) {
                            waiting.remove(call);
                            batch.addAll(call.objects);
                            batchMapped.addAll(call.mapped);
                        }
                        continue;
                    }
                    if (!stored.toolCalls().isEmpty() && HeldCalls.onlyResultsOf(stored, mapped, i + 1)) {
                        HeldCalls.Held round = new HeldCalls.Held(message, stored);
                        HeldCalls.replaceReused(waiting, round);
                        waiting.add(round);
                        if (waiting.size() > HeldCalls.MAX_PER_CONVERSATION) {
                            HeldCalls.Held oldest = waiting.remove(0); // its results never came: stored as it is
                            batch.addAll(oldest.objects);
                            batchMapped.addAll(oldest.mapped);
                        }
                        continue;
                    }
                    if (stored.role() == Role.ASSISTANT) {
                        // an answer from this thread: the rounds it held without their results are over
                        waiting.removeIf(round -> round.thread == Thread.currentThread());
                    }
                    batch.add(message);
                    batchMapped.add(stored);
                }
            }
            if (!batch.isEmpty()) {
                memory.append(conversationId, batch, batchMapped, (b, chunk) -> AppendRequest.newAppendId());
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns the conversation's window: its last messages, oldest first, at most
     * {@link Builder#maxMessages(int) maxMessages}, with tool calls and results kept whole. Reads
     * only those messages, whatever the conversation's length. With a
     * {@linkplain Builder#tokenBudget(int) token budget}, the newest summary that fits and the
     * newest messages after it within the budget (see the class comment); it then reads the
     * summaries and the tail only.
     *
     * @param conversationId the conversation
     * @return the window, a new mutable list; empty if the conversation does not exist
     * @throws IllegalArgumentException if the conversation id is invalid
     * @throws ConversationStoreException if the store failed
     * @throws UnsupportedOperationException with a token budget, if the store keeps no summaries
     *     (both of the library's stores keep them)
     * @since 0.2.0
     */
    @Override
    public List<Message> get(String conversationId) {
        StoreMemory.conversationId(conversationId);
        if (tokenBudget == 0) {
            List<Message> window = memory.window(conversationId);
            window.addAll(held.visible(conversationId));
            return window;
        }
        List<Message> visible = held.visible(conversationId);
        long left = tokenBudget - (visible.isEmpty() ? 0 : held.tokens(conversationId, tokenCounter));
        List<Message> window = left > 0 ? memory.tokenWindow(conversationId, (int) left, tokenCounter) : new ArrayList<>();
        window.addAll(visible);
        return window;
    }

    /**
     * Erases the conversation: all its messages, also those outside the window. Idempotent.
     *
     * @param conversationId the conversation
     * @throws IllegalArgumentException if the conversation id is invalid
     * @throws ConversationStoreException if the store failed
     * @since 0.2.0
     */
    @Override
    public void clear(String conversationId) {
        StoreMemory.conversationId(conversationId);
        try {
            memory.store.deleteConversation(conversationId);
        } finally {
            // whatever the store answered: the old records and held calls must not come back
            memory.forget(conversationId);
            held.forget(conversationId);
        }
    }

    /** The heading of a summary message: what it stands for. */
    static String heading(Summary summary) {
        return "Summary of the earlier conversation (its first " + summary.toSequence()
                + " messages, not repeated below):";
    }

    /** The summary as the system message a token window starts with. */
    static SystemMessage summaryMessage(Summary summary) {
        Map<String, Object> about = new LinkedHashMap<>();
        about.put("fromSequence", summary.fromSequence());
        about.put("toSequence", summary.toSequence());
        about.put("tokenCount", summary.tokenCount());
        Map<String, Object> metadata = new HashMap<>();
        metadata.put(SUMMARY_METADATA, about);
        return SystemMessage.builder()
                .text(heading(summary) + "\n\n" + summary.message().text())
                .metadata(metadata)
                .build();
    }

    /**
     * Builds a {@link ConversationStoreChatMemory}. Not thread-safe.
     *
     * @since 0.2.0
     */
    public static final class Builder extends SettingsBuilder<Builder> {
        private int tokenBudget;
        private TokenCounter tokenCounter;

        private Builder(ConversationStore store) {
            super(store);
        }

        @Override
        Builder self() {
            return this;
        }

        /**
         * Makes {@link ConversationStoreChatMemory#get(String) get} return the context window of
         * {@code tokens} tokens instead of the last {@link #maxMessages(int) maxMessages} messages:
         * the newest summary that fits, then the newest messages after it that fit, tool calls
         * with their results (see the class comment). Nothing is deleted. The default is the
         * message window; setting both is refused by {@link #build()}.
         *
         * @param tokens the budget, positive: all that {@code get} returns counts against it
         * @return this builder
         * @throws IllegalArgumentException if {@code tokens} is zero or negative
         * @since 0.3
         */
        public Builder tokenBudget(int tokens) {
            if (tokens <= 0) {
                throw new IllegalArgumentException("tokenBudget must be positive (tokens), was " + tokens);
            }
            this.tokenBudget = tokens;
            return this;
        }

        /**
         * Sets how the {@link #tokenBudget(int) token budget} counts tokens (default
         * {@link TokenCounter#approximate()}, offline): the model's own tokenizer, for instance.
         *
         * @param counter the counter, thread-safe
         * @return this builder
         * @throws NullPointerException if {@code counter} is null
         * @since 0.3
         */
        public Builder tokenCounter(TokenCounter counter) {
            this.tokenCounter = Objects.requireNonNull(counter, "tokenCounter");
            return this;
        }

        /**
         * Builds the memory.
         *
         * @return the memory
         * @throws IllegalStateException if both {@link #maxMessages(int) maxMessages} and
         *     {@link #tokenBudget(int) tokenBudget} were set (a message cap on a token window would
         *     cut the messages a summary is followed by), or a {@link #tokenCounter(TokenCounter)
         *     tokenCounter} without a token budget
         * @since 0.2.0
         */
        public ConversationStoreChatMemory build() {
            if (tokenBudget > 0 && maxMessagesSet) {
                throw new IllegalStateException("maxMessages and tokenBudget are alternatives: a read returns either the"
                        + " last maxMessages messages or the context window of tokenBudget tokens; set one of them");
            }
            if (tokenBudget == 0 && tokenCounter != null) {
                throw new IllegalStateException("tokenCounter counts for a token budget: set tokenBudget too, or"
                        + " leave the counter out");
            }
            return new ConversationStoreChatMemory(this);
        }
    }
}
