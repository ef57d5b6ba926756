package io.github.conversationstore.springai;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreException;
import io.github.conversationstore.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.Message;

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
 *       ({@link ConversationStore#promptWindow(String, int)}), whatever the conversation's length.</li>
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
    private final StoreMemory memory;
    private final HeldCalls held = new HeldCalls();
    private final ReentrantLock[] locks = new ReentrantLock[64];

    private ConversationStoreChatMemory(Builder builder) {
        memory = builder.memory();
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
     * only those messages, whatever the conversation's length.
     *
     * @param conversationId the conversation
     * @return the window, a new mutable list; empty if the conversation does not exist
     * @throws IllegalArgumentException if the conversation id is invalid
     * @throws ConversationStoreException if the store failed
     * @since 0.2.0
     */
    @Override
    public List<Message> get(String conversationId) {
        StoreMemory.conversationId(conversationId);
        List<Message> window = memory.window(conversationId);
        window.addAll(held.visible(conversationId));
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

    /**
     * Builds a {@link ConversationStoreChatMemory}. Not thread-safe.
     *
     * @since 0.2.0
     */
    public static final class Builder extends SettingsBuilder<Builder> {

        private Builder(ConversationStore store) {
            super(store);
        }

        @Override
        Builder self() {
            return this;
        }

        /**
         * Builds the memory.
         *
         * @return the memory
         * @since 0.2.0
         */
        public ConversationStoreChatMemory build() {
            return new ConversationStoreChatMemory(this);
        }
    }
}
