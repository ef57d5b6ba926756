package io.github.conversationstore.koog;

import ai.koog.agents.chatMemory.feature.ChatHistoryProvider;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreException;
import io.github.conversationstore.Message;
import io.github.conversationstore.Owner;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import kotlin.Unit;
import kotlin.coroutines.Continuation;

/**
 * A Koog {@link ChatHistoryProvider} backed by a {@link ConversationStore}, for Koog's
 * {@code ChatMemory} feature: the history survives a restart and can be shared by several instances
 * of an application, with the store's guarantees.
 *
 * <!-- snippet file="io/github/conversationstore/koog/examples/KoogExamplesTest.java" region="provider" -->
 * <pre>{@code
 * ConversationStore store = MongoConversationStore.builder()
 *         .connectionString(connectionString)
 *         .database("agents")
 *         .build();
 * ChatHistoryProvider history = ConversationStoreChatHistoryProvider.builder(store)
 *         .window(100) // load hands the agent the last 100 messages; the history stays whole
 *         .build();
 * }</pre>
 *
 * <p>What it promises:
 * <ul>
 *   <li>{@code store(id, messages)} is handed the agent's whole prompt (after Koog's
 *       pre-processors, such as {@code windowSize}); it appends only the messages that follow the
 *       last one it recognizes as stored, in one atomic append, after whatever the conversation
 *       holds now (so two instances that both loaded the history keep both their turns). It never
 *       rewrites or deletes: a message the pre-processors dropped stays stored.</li>
 *   <li>Recognized as stored: every message object {@code load} returned or {@code store} stored,
 *       through this provider (by identity, weakly). A list in which none is recognized is compared
 *       with the stored tail by content: its longest prefix found, in order, among the last stored
 *       messages (and the conversation's first message, a system prompt that {@code load} puts
 *       first) is taken as stored.</li>
 *   <li>Exactly once: the append id is derived from the conversation, the last message recognized
 *       and the content of the new messages, so a store repeated after a failure is applied once;
 *       two stores of the same messages after the same stored message are one append.</li>
 *   <li>Tool calls and results: a Koog assistant message's tool calls become tool-call parts, a
 *       user message's tool results a {@code TOOL} message of tool results; the messages of one
 *       {@code store} are contiguous, and {@code load} reads the store's prompt window, which never
 *       hands out a call without its result or a result without its call.</li>
 *   <li>{@code load(id)} reads the last {@link Builder#window(int)} messages (default 100), with
 *       the conversation's first message first when it is a system message older than the window
 *       (Koog's {@code ChatMemory} replaces the agent's initial prompt with the loaded history, so
 *       the agent keeps its system prompt). Messages
 *       read back equal ({@code equals}) to those written.</li>
 * </ul>
 *
 * <p>The store is called on the calling coroutine's thread (its calls are blocking and bounded by
 * the store's operation timeout): both suspend functions complete without suspending. Java callers
 * can use {@link #storeMessages(String, List)} and {@link #loadMessages(String)}.
 *
 * <p>Thread-safe.
 *
 * @since 0.3
 */
public final class ConversationStoreChatHistoryProvider implements ChatHistoryProvider {
    /** How many stored messages beyond the list's length a list never seen is compared with. */
    private static final int TAIL_SLACK = 64;

    private final ConversationStore store;
    private final String language;
    private final int window;
    private final Function<String, String> sessionIds;
    private final Function<String, Owner> owners;
    private final KnownMessages known = new KnownMessages();
    /** Per conversation, the batch of the last store that failed (its outcome unknown), until the next store. */
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    private ConversationStoreChatHistoryProvider(Builder builder) {
        this.store = builder.store;
        this.language = builder.language;
        this.window = builder.window;
        this.sessionIds = builder.sessionIds;
        this.owners = builder.owners;
    }

    /**
     * Starts a builder.
     *
     * @param store where the histories are kept
     * @return a builder
     * @throws NullPointerException if {@code store} is null
     */
    public static Builder builder(ConversationStore store) {
        return new Builder(store);
    }

    /**
     * Stores what is new in a conversation's history (see the class comment); completes without
     * suspending.
     *
     * @param conversationId the conversation (Koog's run id)
     * @param messages the history as the agent has it
     * @param completion the caller's continuation (not used: the call does not suspend)
     * @return {@link Unit}
     */
    @Override
    public Object store(String conversationId, List<? extends ai.koog.prompt.message.Message> messages,
            Continuation<? super Unit> completion) {
        storeMessages(conversationId, messages);
        return Unit.INSTANCE;
    }

    /**
     * Loads a conversation's recent history (see the class comment); completes without suspending.
     *
     * @param conversationId the conversation (Koog's run id)
     * @param completion the caller's continuation (not used: the call does not suspend)
     * @return the messages, oldest first; empty for a conversation never stored
     */
    @Override
    public Object load(String conversationId, Continuation<? super List<? extends ai.koog.prompt.message.Message>> completion) {
        return loadMessages(conversationId);
    }

    /**
     * Appends the messages of {@code messages} that follow the last one recognized as stored.
     *
     * @param conversationId the conversation
     * @param messages the history as the agent has it
     * @throws NullPointerException if an argument or a message is null
     * @throws IllegalArgumentException if the conversation id is no valid session id, or a message
     *     breaks a bound of the store (nothing of this call is stored)
     * @throws io.github.conversationstore.ConversationStoreException if the store failed; calling
     *     again with the same messages applies them once
     */
    public void storeMessages(String conversationId, List<? extends ai.koog.prompt.message.Message> messages) {
        Objects.requireNonNull(conversationId, "conversationId");
        Objects.requireNonNull(messages, "messages");
        String sessionId = sessionIds.apply(conversationId);
        List<ai.koog.prompt.message.Message> list = new ArrayList<>(messages.size());
        for (ai.koog.prompt.message.Message m : messages) {
            list.add(Objects.requireNonNull(m, "messages must not hold null"));
        }
        int last = -1;
        long anchor = -1;
        for (int i = list.size() - 1; i >= 0; i--) {
            Long seq = known.sequence(sessionId, list.get(i));
            if (seq != null) {
                last = i;
                anchor = seq;
                break;
            }
        }
        if (last < 0 && !list.isEmpty()) {
            // nothing recognized: the longest prefix of the list found, in order, in the stored tail
            // (and the first message, a system prompt that load puts first) is taken as stored
            List<StoredMessage> candidates = new ArrayList<>(store.recentMessages(sessionId,
                    Math.min(list.size() + TAIL_SLACK, ConversationStore.MAX_READ_LIMIT)));
            if (!candidates.isEmpty() && candidates.get(0).sequence() > 0) {
                List<StoredMessage> first = store.readMessages(sessionId, 0, 1);
                if (!first.isEmpty() && first.get(0).role() == Role.SYSTEM) {
                    candidates.add(0, first.get(0));
                }
            }
            int at = 0;
            for (int i = 0; i < list.size() && at < candidates.size(); i++) {
                int found = -1;
                for (int j = at; j < candidates.size(); j++) {
                    if (list.get(i).equals(KoogCodec.toKoog(candidates.get(j).message()))) {
                        found = j;
                        break;
                    }
                }
                if (found < 0) {
                    break;
                }
                known.put(sessionId, list.get(i), candidates.get(found).sequence());
                last = i;
                anchor = candidates.get(found).sequence();
                at = found + 1;
            }
        }
        List<ai.koog.prompt.message.Message> fresh = new ArrayList<>();
        List<Message> stored = new ArrayList<>();
        for (int i = last + 1; i < list.size(); i++) {
            if (known.sequence(sessionId, list.get(i)) == null && !containsSame(fresh, list.get(i))) {
                fresh.add(list.get(i));
                stored.add(KoogCodec.toStored(list.get(i)));
            }
        }
        Pending unknown = pending.remove(sessionId);
        if (unknown != null && unknown.anchor == anchor && startsWith(fresh, unknown.messages)) {
            // a store whose outcome is unknown (a lost reply), now followed by more: its messages first,
            // under their own append id, so that they are a duplicate if that write was applied
            int n = unknown.messages.size();
            AppendResult result = append(conversationId, sessionId, unknown.appendId, stored.subList(0, n), unknown);
            for (int i = 0; i < n; i++) {
                known.put(sessionId, fresh.get(i), result.firstSequence() + i);
            }
            anchor = result.firstSequence() + n - 1;
            fresh = fresh.subList(n, fresh.size());
            stored = stored.subList(n, stored.size());
        }
        for (int from = 0, chunk = 0; from < stored.size(); from += ConversationStore.MAX_MESSAGES_PER_APPEND, chunk++) {
            int to = Math.min(stored.size(), from + ConversationStore.MAX_MESSAGES_PER_APPEND);
            List<Message> batch = stored.subList(from, to);
            StringBuilder key = new StringBuilder(sessionId).append('\n').append(anchor).append('\n').append(chunk);
            for (ai.koog.prompt.message.Message m : fresh.subList(from, to)) {
                key.append('\n').append(KoogCodec.json(m));
            }
            String appendId = "koog-" + digest(key.toString());
            AppendResult result = append(conversationId, sessionId, appendId, batch,
                    new Pending(anchor, List.copyOf(fresh.subList(from, to)), appendId));
            for (int i = 0; i < batch.size(); i++) {
                known.put(sessionId, fresh.get(from + i), result.firstSequence() + i);
            }
        }
    }

    /** Appends a batch; when the outcome is unknown (the store failed), remembers it for the next store. */
    private AppendResult append(String conversationId, String sessionId, String appendId, List<Message> batch,
            Pending ifUnknown) {
        AppendRequest.Builder request = AppendRequest.builder(sessionId, language).appendId(appendId).messages(batch);
        Owner owner = owners.apply(conversationId);
        if (owner != null) {
            request.owner(owner);
        }
        try {
            return store.appendMessages(request.build());
        } catch (ConversationStoreException e) {
            pending.put(sessionId, ifUnknown);
            throw e;
        }
    }

    private static boolean startsWith(List<ai.koog.prompt.message.Message> list, List<ai.koog.prompt.message.Message> prefix) {
        if (prefix.size() > list.size()) {
            return false;
        }
        for (int i = 0; i < prefix.size(); i++) {
            if (list.get(i) != prefix.get(i)) {
                return false;
            }
        }
        return true;
    }

    /** The last batch of a conversation whose store failed: the message it followed, its messages, its append id. */
    private record Pending(long anchor, List<ai.koog.prompt.message.Message> messages, String appendId) {}

    /**
     * Reads the conversation's recent history (see the class comment).
     *
     * @param conversationId the conversation
     * @return the messages, oldest first; empty for a conversation never stored
     * @throws NullPointerException if {@code conversationId} is null
     * @throws IllegalArgumentException if the conversation id is no valid session id
     * @throws io.github.conversationstore.ConversationStoreException if the store failed
     */
    public List<ai.koog.prompt.message.Message> loadMessages(String conversationId) {
        Objects.requireNonNull(conversationId, "conversationId");
        String sessionId = sessionIds.apply(conversationId);
        List<StoredMessage> page = store.promptWindow(sessionId, window);
        List<ai.koog.prompt.message.Message> out = new ArrayList<>(page.size() + 1);
        boolean hasSystem = page.stream().anyMatch(m -> m.role() == Role.SYSTEM);
        if (!hasSystem && !page.isEmpty() && page.get(0).sequence() > 0) {
            latestSystem(sessionId, page.get(0).sequence()).ifPresent(system -> {
                ai.koog.prompt.message.Message m = KoogCodec.toKoog(system.message());
                known.put(sessionId, m, system.sequence());
                out.add(m);
            });
        }
        for (StoredMessage stored : page) {
            ai.koog.prompt.message.Message m = KoogCodec.toKoog(stored.message());
            known.put(sessionId, m, stored.sequence());
            out.add(m);
        }
        return out;
    }

    /** The conversation's first message, if it is a system message older than the window. */
    private Optional<StoredMessage> latestSystem(String sessionId, long before) {
        List<StoredMessage> first = store.readMessages(sessionId, 0, 1);
        return first.isEmpty() || first.get(0).role() != Role.SYSTEM || first.get(0).sequence() >= before
                ? Optional.empty() : Optional.of(first.get(0));
    }

    private static boolean containsSame(List<ai.koog.prompt.message.Message> list, ai.koog.prompt.message.Message m) {
        for (ai.koog.prompt.message.Message x : list) {
            if (x == m) {
                return true;
            }
        }
        return false;
    }

    private static String digest(String text) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Configures a {@link ConversationStoreChatHistoryProvider}. Not thread-safe.
     *
     * @since 0.3
     */
    public static final class Builder {
        private final ConversationStore store;
        private String language = "und";
        private int window = 100;
        private Function<String, String> sessionIds = id -> id;
        private Function<String, Owner> owners = id -> null;

        private Builder(ConversationStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /**
         * The language recorded on the conversations this provider creates (default {@code und}).
         *
         * @param tag a BCP 47 tag
         * @return this builder
         * @throws NullPointerException if {@code tag} is null
         */
        public Builder language(String tag) {
            this.language = Objects.requireNonNull(tag, "language");
            return this;
        }

        /**
         * How many of the latest messages {@code load} hands the agent (default 100); the stored
         * history stays whole.
         *
         * @param messages 1 to {@value ConversationStore#MAX_READ_LIMIT}
         * @return this builder
         * @throws IllegalArgumentException if {@code messages} is out of range
         */
        public Builder window(int messages) {
            if (messages < 1 || messages > ConversationStore.MAX_READ_LIMIT) {
                throw new IllegalArgumentException("window must be 1 to " + ConversationStore.MAX_READ_LIMIT
                        + ", was " + messages);
            }
            this.window = messages;
            return this;
        }

        /**
         * How a Koog conversation id becomes a store session id (default: the same).
         *
         * @param mapping the mapping
         * @return this builder
         * @throws NullPointerException if {@code mapping} is null
         */
        public Builder sessionId(Function<String, String> mapping) {
            this.sessionIds = Objects.requireNonNull(mapping, "sessionId");
            return this;
        }

        /**
         * The owner each conversation's appends name (default none), so that the store lists and
         * erases a user's conversations.
         *
         * @param mapping from the Koog conversation id to its owner (null for none)
         * @return this builder
         * @throws NullPointerException if {@code mapping} is null
         */
        public Builder owner(Function<String, Owner> mapping) {
            this.owners = Objects.requireNonNull(mapping, "owner");
            return this;
        }

        /**
         * Builds the provider.
         *
         * @return the provider
         */
        public ConversationStoreChatHistoryProvider build() {
            return new ConversationStoreChatHistoryProvider(this);
        }
    }
}
