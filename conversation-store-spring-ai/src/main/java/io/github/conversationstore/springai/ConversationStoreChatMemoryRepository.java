package io.github.conversationstore.springai;

import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreException;
import io.github.conversationstore.Owner;
import io.github.conversationstore.StoredMessage;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.messages.Message;

/**
 * A Spring AI {@link ChatMemoryRepository} on a {@link ConversationStore}, for applications that
 * keep {@code MessageWindowChatMemory}: append-only, it never deletes stored history.
 *
 * <p>{@code MessageWindowChatMemory.add} reads {@link #findByConversationId(String)}, adds the new
 * messages to that window (dropping the oldest ones, or older system messages, when it trims), and
 * hands the whole list to {@link #saveAll(String, List)}, whose contract is to replace the history.
 * This repository instead appends only what is new:
 * <ul>
 *   <li>every message {@code findByConversationId} returns is remembered (by object identity, not in
 *       its metadata, so messages still compare equal to the ones saved) with its place in the
 *       store;</li>
 *   <li>{@code saveAll} appends, in one atomic append, the messages of the list after the last one
 *       it read from the store, after whatever the conversation holds now: messages another
 *       instance appended in between are kept, and the new ones follow them;</li>
 *   <li>messages the list dropped or reordered are never deleted or moved in the store (the window
 *       trim is not a deletion; unread messages placed before a read one are not appended);</li>
 *   <li>the append id is derived from the conversation, the last message read and the new messages'
 *       content, and the same message objects always repeat their first append id: a retried
 *       {@code saveAll} is applied once;</li>
 *   <li>a list with no message read from the store (built by the caller) is matched by content
 *       against the end of the stored conversation: its longest prefix equal to the stored end is
 *       taken as stored, the rest is appended.</li>
 * </ul>
 *
 * <p>Give {@code MessageWindowChatMemory} a {@code maxMessages} above this repository's (twice, say):
 * the repository already bounds what it reads, so the memory then never trims. Its trim is
 * harmless here on Spring AI 1.1 (it drops only messages read), but on 2.0 it moves its cut forward
 * to the next user message and, when none follows, drops the messages being added before they
 * reach {@code saveAll}.
 *
 * <p>For example:
 *
 * <!-- snippet file="io/github/conversationstore/springai/examples/SpringAiExamplesTest.java" region="chat-memory-repository" -->
 * <pre>{@code
 * ChatMemory chatMemory = MessageWindowChatMemory.builder()
 *         .chatMemoryRepository(ConversationStoreChatMemoryRepository.builder(store)
 *                 .maxMessages(20) // what findByConversationId reads
 *                 .build())
 *         .maxMessages(40)         // above the repository's, so that the memory never trims
 *         .build();
 * chatMemory.add("session-42", new UserMessage("¿Qué hora es?"));
 * chatMemory.add("session-42", new AssistantMessage("Son las tres."));
 * List<Message> window = chatMemory.get("session-42"); // both; each was appended once
 * }</pre>
 *
 * <p>{@link #findByConversationId(String)} returns a bounded window: the last
 * {@link Builder#maxMessages(int) maxMessages} messages (default 20) with tool calls and results
 * kept whole, read without the rest of the conversation. {@link #findConversationIds()} lists the
 * conversations through {@link ConversationStore#listConversationIds(String, int)}, a page of ids at
 * a time (in MongoDB one indexed query per 10,000 ids, one small field per conversation).
 *
 * <p>Errors: invalid arguments throw {@link IllegalArgumentException} (a null one
 * {@link NullPointerException}) and store nothing; everything else is a
 * {@link ConversationStoreException}, never a MongoDB driver exception. Thread-safe.
 *
 * @since 0.2.0
 */
public final class ConversationStoreChatMemoryRepository implements ChatMemoryRepository {
    private static final String APPEND_ID_PREFIX = "springai-";

    private final StoreMemory memory;
    private final Supplier<List<String>> conversationIds;

    private ConversationStoreChatMemoryRepository(Builder builder) {
        memory = builder.memory();
        conversationIds = builder.conversationIds != null ? builder.conversationIds
                : builder.owner != null ? () -> ownedIds(builder.store, builder.owner) : () -> allIds(builder.store);
    }

    /**
     * Starts a builder for a repository on this store.
     *
     * @param store the store; the repository does not close it
     * @return a builder with the defaults: language {@code und}, 20 messages per window, conversation
     *     ids listed by the store
     * @throws NullPointerException if {@code store} is null
     * @since 0.2.0
     */
    public static Builder builder(ConversationStore store) {
        return new Builder(Objects.requireNonNull(store, "store"));
    }

    /**
     * Lists the ids of the stored conversations, sorted: those of the builder's
     * {@link Builder#owner(Owner) owner} when it names one (since 0.3), otherwise all.
     *
     * @return the ids, a new list
     * @throws UnsupportedOperationException if the builder was given no source of ids
     * @throws ConversationStoreException if the database failed
     * @since 0.2.0
     */
    @Override
    public List<String> findConversationIds() {
        return new ArrayList<>(conversationIds.get());
    }

    /** Every conversation id of the store, a page of the store's listing at a time. */
    private static List<String> allIds(ConversationStore store) {
        List<String> ids = new ArrayList<>();
        String after = null;
        while (true) {
            List<String> page = store.listConversationIds(after, ConversationStore.MAX_READ_LIMIT);
            ids.addAll(page);
            if (page.size() < ConversationStore.MAX_READ_LIMIT) {
                return ids;
            }
            after = page.get(page.size() - 1);
        }
    }

    /** The conversation ids of one owner, a page of the store's listing at a time. */
    private static List<String> ownedIds(ConversationStore store, Owner owner) {
        List<String> ids = new ArrayList<>();
        String after = null;
        while (true) {
            List<ConversationHeader> page = store.listConversations(owner, after, ConversationStore.MAX_READ_LIMIT);
            page.forEach(header -> ids.add(header.sessionId()));
            if (page.size() < ConversationStore.MAX_READ_LIMIT) {
                return ids;
            }
            after = ids.get(ids.size() - 1);
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
    public List<Message> findByConversationId(String conversationId) {
        return memory.window(StoreMemory.conversationId(conversationId));
    }

    /**
     * Appends the messages of the list that are not stored yet (see the class comment); never
     * deletes or rewrites stored messages. An empty list stores nothing.
     *
     * @param conversationId the conversation
     * @param messages the conversation as the caller sees it: a window read from this repository
     *     with new messages after it
     * @throws IllegalArgumentException if the conversation id is invalid or a message cannot be
     *     stored; nothing is stored
     * @throws ConversationStoreException if the store failed; calling again with the same list is
     *     safe
     * @since 0.2.0
     */
    @Override
    public void saveAll(String conversationId, List<Message> messages) {
        StoreMemory.conversationId(conversationId);
        Objects.requireNonNull(messages, "messages");
        int lastRead = -1;
        StoreMemory.Read anchor = null;
        for (int i = 0; i < messages.size(); i++) {
            StoreMemory.Read where = memory.readFrom(Objects.requireNonNull(messages.get(i), "messages[" + i + "]"),
                    conversationId);
            if (where != null) {
                lastRead = i;
                if (anchor == null || where.sequence() > anchor.sequence()) {
                    anchor = where;
                }
            }
        }
        List<Message> fresh;
        String after;
        if (anchor != null) {
            fresh = messages.subList(lastRead + 1, messages.size());
            after = anchor.messageId() + "@" + anchor.sequence();
        } else if (messages.isEmpty()) {
            return;
        } else {
            List<StoredMessage> end = memory.store.recentMessages(conversationId,
                    Math.min(messages.size(), ConversationStore.MAX_READ_LIMIT));
            fresh = messages.subList(storedPrefix(end, messages), messages.size());
            StoredMessage last = end.isEmpty() ? null : end.get(end.size() - 1);
            after = last == null ? "start" : last.message().id() + "@" + last.sequence();
        }
        if (!fresh.isEmpty()) {
            memory.append(conversationId, fresh, (batch, chunk) -> appendId(conversationId, after, batch, chunk));
        }
    }

    /** The length of the longest prefix of {@code messages} equal, by content, to the end of {@code end}. */
    private int storedPrefix(List<StoredMessage> end, List<Message> messages) {
        List<io.github.conversationstore.Message> mapped = new ArrayList<>();
        for (int i = 0; i < Math.min(end.size(), messages.size()); i++) {
            mapped.add(MessageMapping.toStored(messages.get(i), memory.limits));
        }
        for (int length = mapped.size(); length > 0; length--) {
            boolean same = true;
            for (int i = 0; same && i < length; i++) {
                same = MessageMapping.sameContent(end.get(end.size() - length + i).message(), mapped.get(i));
            }
            if (same) {
                return length;
            }
        }
        return 0;
    }

    private static String appendId(String conversationId, String after,
            List<io.github.conversationstore.Message> batch, int chunk) {
        MessageDigest digest = MessageMapping.sha256();
        digest.update(conversationId.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(after.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(Integer.toString(chunk).getBytes(StandardCharsets.UTF_8));
        for (io.github.conversationstore.Message message : batch) {
            MessageMapping.digest(digest, message);
        }
        return APPEND_ID_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(digest.digest());
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
    public void deleteByConversationId(String conversationId) {
        StoreMemory.conversationId(conversationId);
        try {
            memory.store.deleteConversation(conversationId);
        } finally {
            memory.forget(conversationId); // whatever the store answered: the old records must not come back
        }
    }

    /**
     * Builds a {@link ConversationStoreChatMemoryRepository}. Not thread-safe.
     *
     * @since 0.2.0
     */
    public static final class Builder extends SettingsBuilder<Builder> {
        private Supplier<List<String>> conversationIds;

        private Builder(ConversationStore store) {
            super(store);
        }

        @Override
        Builder self() {
            return this;
        }

        /**
         * Lists conversation ids with this function, called by each
         * {@link ConversationStoreChatMemoryRepository#findConversationIds()}.
         *
         * @param source returns the ids
         * @return this builder
         * @throws NullPointerException if {@code source} is null
         * @since 0.2.0
         */
        public Builder conversationIds(Supplier<List<String>> source) {
            this.conversationIds = Objects.requireNonNull(source, "source");
            return this;
        }

        /**
         * Builds the repository.
         *
         * @return the repository
         * @since 0.2.0
         */
        public ConversationStoreChatMemoryRepository build() {
            return new ConversationStoreChatMemoryRepository(this);
        }
    }
}
