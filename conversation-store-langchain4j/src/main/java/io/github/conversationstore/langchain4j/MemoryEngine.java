package io.github.conversationstore.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ContextWindow;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.Owner;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.Summary;
import io.github.conversationstore.internal.Appends;
import io.github.conversationstore.internal.Ledger;
import io.github.conversationstore.spi.TokenCounter;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * What the adapter's public classes share: reads a conversation's window, and turns LangChain4j's
 * writes (one message, or a whole rewritten list) into appends, each applied exactly once.
 *
 * <p>It recognizes stored messages by object identity: every message object it returned from a read
 * or wrote is remembered (weakly, per conversation) as stored. A list handed back by
 * {@code MessageWindowChatMemory} therefore splits exactly into what is stored and what is new,
 * whatever other instances appended in between. A list with no message it knows, from a
 * conversation it never read, is compared with the stored tail by content instead.
 *
 * <p>Thread-safe: writes to one conversation are serialized inside the engine (striped locks),
 * reads are not.
 */
final class MemoryEngine {
    /** Header attribute holding the text of the conversation's latest system message. */
    static final String SYSTEM_TEXT = "langchain4jSystemMessage";
    /** Header attribute counting the system messages the adapter stored. */
    static final String SYSTEM_VERSION = "langchain4jSystemVersion";
    /** Extras key of a system message stored first by {@code alwaysKeepSystemMessageFirst(true)}. */
    static final String SYSTEM_FIRST = "systemFirst";
    /** Most tool calls one conversation holds back waiting for their results. */
    static final int MAX_HELD_PER_CONVERSATION = 64;
    /** How many conversations' write state (held calls, served flag) is kept. */
    static final int MAX_CONVERSATIONS = 16_384;

    private enum Known { STORED, HELD }

    /** A failed append: sent again, under the same append id, when one of its messages comes again. */
    /** Prefix of the ids of system-prompt appends, derived from the prompt and its version. */
    private static final String SYSTEM_APPEND_ID = "lc4j-system-";

    private static final class Pending {
        final AppendRequest request;
        final List<WeakReference<ChatMessage>> messages = new ArrayList<>();

        Pending(AppendRequest request, List<ChatMessage> messages) {
            this.request = request;
            messages.forEach(m -> this.messages.add(new WeakReference<>(m)));
        }
    }

    /** An assistant message with tool calls, held until every call has its result. */
    private static final class Held {
        final List<ChatMessage> objects = new ArrayList<>();
        final List<Message> messages = new ArrayList<>();
        final Set<String> outstanding = new HashSet<>();

        Held(ChatMessage ai, Message converted) {
            objects.add(ai);
            messages.add(converted);
            converted.toolCalls().forEach(call -> outstanding.add(call.callId()));
        }
    }

    /** Write state of one conversation, guarded by the conversation's lock. */
    private static final class Conversation {
        final List<Held> held = new ArrayList<>();
        final MessageMapper.ToolCallIds ids = new MessageMapper.ToolCallIds();
        volatile boolean served;
    }

    private final ConversationStore store;
    private final String language;
    private final int window;
    private final Function<Object, String> sessionIds;
    /** The owner each session's appends name (null: none). */
    private final Function<String, Owner> owners;
    private final boolean groupToolCalls;
    private final int maxTextBytes;
    private final int maxMessageBytes;
    /** The token budget of a read, or 0 for the message window; set before the engine is shared. */
    private int tokenBudget;
    private TokenCounter tokenCounter = TokenCounter.approximate();
    private final Ledger<ChatMessage, Object> known = new Ledger<>();
    private final ReentrantLock[] locks = new ReentrantLock[64];
    private final Map<String, Conversation> conversations = new LinkedHashMap<>(256, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Conversation> eldest) {
            return size() > MAX_CONVERSATIONS;
        }
    };

    MemoryEngine(ConversationStore store, String language, int window, Function<Object, String> sessionIds,
            boolean groupToolCalls) {
        this(store, language, window, sessionIds, groupToolCalls, ConversationStore.DEFAULT_MAX_TEXT_BYTES,
                ConversationStore.DEFAULT_MAX_MESSAGE_BYTES);
    }

    MemoryEngine(ConversationStore store, String language, int window, Function<Object, String> sessionIds,
            boolean groupToolCalls, int maxTextBytes, int maxMessageBytes) {
        this(store, language, window, sessionIds, groupToolCalls, maxTextBytes, maxMessageBytes, session -> null);
    }

    MemoryEngine(ConversationStore store, String language, int window, Function<Object, String> sessionIds,
            boolean groupToolCalls, int maxTextBytes, int maxMessageBytes, Function<String, Owner> owners) {
        this.owners = owners;
        this.maxTextBytes = maxTextBytes;
        this.maxMessageBytes = maxMessageBytes;
        this.store = store;
        this.language = language;
        this.window = window;
        this.sessionIds = sessionIds;
        this.groupToolCalls = groupToolCalls;
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    /** Makes reads token windows of {@code budget} tokens counted by {@code counter}. */
    MemoryEngine tokenWindow(int budget, TokenCounter counter) {
        this.tokenBudget = budget;
        this.tokenCounter = counter;
        return this;
    }

    String sessionId(Object memoryId) {
        Objects.requireNonNull(memoryId, "memoryId");
        String session = sessionIds.apply(memoryId);
        if (session == null) {
            throw new IllegalArgumentException("the session id function returned null for memory id " + memoryId);
        }
        return session;
    }

    // ---------------------------------------------------------------- reads

    /**
     * The window: the last {@code window} stored messages with tool calls and results kept whole
     * ({@link ConversationStore#promptWindow}), the latest system message first if it is older than
     * the window, older system messages left out.
     */
    List<ChatMessage> read(Object memoryId) {
        String session = sessionId(memoryId);
        if (tokenBudget > 0) {
            return tokenRead(session);
        }
        List<StoredMessage> stored = store.promptWindow(session, window);
        int lastSystem = -1;
        for (int i = 0; i < stored.size(); i++) {
            if (stored.get(i).role() == Role.SYSTEM && !stored.get(i).text().isBlank()) {
                lastSystem = i;
            }
        }
        List<ChatMessage> out = new ArrayList<>(stored.size() + 1);
        if (lastSystem < 0 && !stored.isEmpty()) {
            String system = store.findConversation(session).map(h -> h.attributes().get(SYSTEM_TEXT)).orElse(null);
            if (system != null && !system.isBlank()) {
                out.add(new SystemMessage(system));
            }
        }
        for (int i = 0; i < stored.size(); i++) {
            if (stored.get(i).role() != Role.SYSTEM || i == lastSystem) {
                List<ChatMessage> read = MessageMapper.fromStore(stored.get(i).message());
                if (i == lastSystem && Boolean.TRUE.equals(MessageMapper.map(
                        stored.get(i).message().metadata().get(MessageMapper.EXTRAS)).get(SYSTEM_FIRST))) {
                    out.addAll(0, read); // stored by alwaysKeepSystemMessageFirst(true): read back first
                } else {
                    out.addAll(read);
                }
            }
        }
        for (ChatMessage message : out) {
            mark(message, session, Known.STORED);
        }
        conversation(session).served = true;
        return out;
    }

    /**
     * The token window: the conversation's system prompt (the header's latest system message) set
     * aside first, then the store's context window in what is left, with every stored system
     * message counted as nothing (the prompt is paid for once, up front). Of the stored system
     * messages only the latest is shown, where a message window shows it, and only if it is the
     * prompt; otherwise the prompt comes first. The summary, headed, comes after a prompt shown
     * first and before the messages; its heading is paid for as {@link #headedWindow} says.
     */
    private List<ChatMessage> tokenRead(String session) {
        String prompt = store.findConversation(session).map(h -> h.attributes().get(SYSTEM_TEXT))
                .filter(text -> !text.isBlank()).orElse(null);
        TokenCounter counting = prompt == null ? tokenCounter
                : message -> message.role() == Role.SYSTEM ? 0 : tokenCounter.count(message);
        long left = tokenBudget - (prompt == null ? 0L : tokenCounter.count(Message.system(prompt)));
        Headed window = left > 0 ? headedWindow(session, (int) left, counting) : new Headed(null, List.of());
        Summary summary = window.summary();
        List<StoredMessage> stored = window.messages();
        int lastSystem = -1;
        for (int i = 0; i < stored.size(); i++) {
            if (stored.get(i).role() == Role.SYSTEM && !stored.get(i).text().isBlank()) {
                lastSystem = i;
            }
        }
        if (lastSystem >= 0 && prompt != null && !stored.get(lastSystem).text().equals(prompt)) {
            lastSystem = -1; // not the prompt (written beside the adapter): the prompt is shown instead
        }
        boolean promptFirst = prompt != null && lastSystem < 0;
        List<ChatMessage> out = new ArrayList<>(stored.size() + 2);
        for (int i = 0; i < stored.size(); i++) {
            if (stored.get(i).role() != Role.SYSTEM || i == lastSystem) {
                List<ChatMessage> read = MessageMapper.fromStore(stored.get(i).message());
                if (i == lastSystem && Boolean.TRUE.equals(MessageMapper.map(
                        stored.get(i).message().metadata().get(MessageMapper.EXTRAS)).get(SYSTEM_FIRST))) {
                    out.addAll(0, read); // stored by alwaysKeepSystemMessageFirst(true): read back first
                    promptFirst = true;
                } else {
                    out.addAll(read);
                }
            }
        }
        if (summary != null) {
            out.add(promptFirst && lastSystem >= 0 ? 1 : 0, summaryMessage(summary));
        }
        if (promptFirst && lastSystem < 0) {
            out.add(0, new SystemMessage(prompt));
        }
        for (ChatMessage message : out) {
            mark(message, session, Known.STORED); // the summary too: adding it back stores nothing
        }
        conversation(session).served = true;
        return out;
    }

    /** A token window's summary (or null) and messages, oldest first. */
    private record Headed(Summary summary, List<StoredMessage> messages) {}

    /**
     * The store's context window of {@code budget} tokens, such that its summary (if any) fits
     * with its heading: the heading's tokens (the counter's count of it as a system message of its
     * own) are taken from the budget when summary, heading and messages would not fit together
     * (the window is then read again with the budget less the heading), and a summary whose heading
     * alone fills the budget is left out (its messages are shown alone).
     */
    private Headed headedWindow(String session, int budget, TokenCounter counting) {
        ContextWindow window = store.contextWindow(session, budget, counting);
        Summary summary = window.summary().orElse(null);
        if (summary != null) {
            long heading = tokenCounter.count(Message.system(heading(summary)));
            if (window.tokens() + heading > budget) {
                if (budget - heading <= 0) {
                    return new Headed(null, window.storedMessages());
                }
                window = store.contextWindow(session, (int) (budget - heading), counting);
            }
        }
        return new Headed(window.summary().orElse(null), window.storedMessages());
    }

    /** The heading of a summary shown in a token window: what it stands for. */
    static String heading(Summary summary) {
        return "Summary of the earlier conversation (its first " + summary.toSequence()
                + " messages, not repeated below):";
    }

    /** The summary as the system message of a token window: the heading, a blank line, its text. */
    static SystemMessage summaryMessage(Summary summary) {
        return new SystemMessage(heading(summary) + "\n\n" + summary.message().text());
    }

    // ---------------------------------------------------------------- writes

    /** {@code ChatMemoryStore.updateMessages}: appends what follows the last stored message of the list. */
    void update(Object memoryId, List<ChatMessage> messages) {
        Objects.requireNonNull(messages, "messages");
        String session = sessionId(memoryId);
        ReentrantLock lock = lock(session);
        lock.lock();
        try {
            Conversation conversation = conversation(session);
            int lastKnown = -1;
            for (int i = 0; i < messages.size(); i++) {
                if (isKnown(messages.get(i), session)) {
                    lastKnown = i;
                }
            }
            List<ChatMessage> segment;
            Set<ChatMessage> first = Collections.newSetFromMap(new IdentityHashMap<>());
            if (!messages.isEmpty() && messages.get(0) instanceof SystemMessage && lastKnown > 0
                    && !isKnown(messages.get(0), session)) {
                // MessageWindowChatMemory with alwaysKeepSystemMessageFirst(true) puts a new prompt first
                first.add(messages.get(0));
            }
            if (lastKnown >= 0 || conversation.served) {
                segment = new ArrayList<>();
                for (int i = 0; i < messages.size(); i++) {
                    ChatMessage m = messages.get(i);
                    // before the last stored message only a new system message can be new
                    // (alwaysKeepSystemMessageFirst puts it first); anything else there is a rewrite
                    if (i > lastKnown || (m instanceof SystemMessage && !isKnown(m, session))) {
                        segment.add(m);
                    }
                }
            } else {
                segment = newByContent(session, messages);
            }
            write(session, conversation, segment, first);
        } finally {
            lock.unlock();
        }
    }

    /** {@code ChatMemory.add}: appends the messages this engine has not stored yet, in one append. */
    void add(Object memoryId, List<ChatMessage> messages) {
        String session = sessionId(memoryId);
        ReentrantLock lock = lock(session);
        lock.lock();
        try {
            List<ChatMessage> segment = new ArrayList<>();
            for (ChatMessage m : messages) {
                if (!isKnown(Objects.requireNonNull(m, "message"), session)) {
                    segment.add(m);
                }
            }
            write(session, conversation(session), segment, Set.of());
        } finally {
            lock.unlock();
        }
    }

    /** Deletes the conversation and forgets what was stored in it. */
    void delete(Object memoryId) {
        String session = sessionId(memoryId);
        ReentrantLock lock = lock(session);
        lock.lock();
        try {
            try {
                store.deleteConversation(session);
            } finally {
                // whatever the store answered: the old records and held calls must not come back
                known.forget(session);
                conversation(session).held.clear();
            }
        } finally {
            lock.unlock();
        }
    }

    private void write(String session, Conversation conversation, List<ChatMessage> segment, Set<ChatMessage> first) {
        List<ChatMessage> objects = new ArrayList<>();
        List<Message> batch = new ArrayList<>();
        // map and check the whole call before writing anything: a refused call stores nothing
        Map<ChatMessage, Message> mapped = new IdentityHashMap<>();
        for (ChatMessage m : segment) {
            if (!(m instanceof SystemMessage) && !mapped.containsKey(m) && !(status(m, session) instanceof Known)
                    && !(status(m, session) instanceof Pending)) {
                mapped.put(m, MessageMapper.fit(MessageMapper.toStore(m, conversation.ids), maxTextBytes, maxMessageBytes));
            }
        }
        Set<ChatMessage> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < segment.size(); i++) {
            ChatMessage m = segment.get(i);
            if (!seen.add(m)) {
                continue; // the same object twice in one call is one message
            }
            Object status = status(m, session);
            if (status == Known.STORED || status == Known.HELD) {
                continue; // sent again with an earlier failed append just now
            }
            if (status instanceof Pending pending) {
                flush(session, objects, batch);
                send(session, pending, null);
                continue;
            }
            if (m instanceof SystemMessage system) {
                flush(session, objects, batch);
                appendSystem(session, system, first.contains(system));
                continue;
            }
            Message converted = mapped.containsKey(m) ? mapped.get(m)
                    : MessageMapper.fit(MessageMapper.toStore(m, conversation.ids), maxTextBytes, maxMessageBytes);
            if (groupToolCalls && m instanceof AiMessage ai && ai.hasToolExecutionRequests()
                    && onlyResultsOf(ai, segment, i + 1)) {
                flush(session, objects, batch);
                hold(session, conversation, new Held(m, converted));
                continue;
            }
            if (m instanceof ToolExecutionResultMessage) {
                Held held = heldFor(conversation, converted.toolResults().get(0).callId(),
                        converted.toolResults().get(0).name());
                if (held != null) {
                    flush(session, objects, batch);
                    held.objects.add(m);
                    held.messages.add(converted);
                    held.outstanding.remove(converted.toolResults().get(0).callId());
                    mark(m, session, Known.HELD);
                    if (held.outstanding.isEmpty()) {
                        conversation.held.remove(held);
                        append(session, held.objects, held.messages);
                    }
                    continue;
                }
            }
            objects.add(m);
            batch.add(converted);
            if (batch.size() == ConversationStore.MAX_MESSAGES_PER_APPEND) {
                flush(session, objects, batch);
            }
        }
        flush(session, objects, batch);
    }

    /** Whether everything after {@code from} answers a call of {@code ai}: the exchange is not over yet. */
    private static boolean onlyResultsOf(AiMessage ai, List<ChatMessage> segment, int from) {
        Set<String> ids = new HashSet<>();
        for (ToolExecutionRequest request : ai.toolExecutionRequests()) {
            ids.add(request.id());
        }
        for (int j = from; j < segment.size(); j++) {
            if (!(segment.get(j) instanceof ToolExecutionResultMessage result) || !ids.contains(result.id())) {
                return false;
            }
        }
        return true;
    }

    private void hold(String session, Conversation conversation, Held held) {
        // an older call waiting under an id this one uses again (models number calls per response,
        // and calls without an id get lc4j-call-<index>) can no longer be told apart: it is dropped,
        // as a call whose results never came is (unanswered calls are not stored)
        conversation.held.removeIf(older -> !Collections.disjoint(older.outstanding, held.outstanding));
        conversation.held.add(held);
        mark(held.objects.get(0), session, Known.HELD);
        if (conversation.held.size() > MAX_HELD_PER_CONVERSATION) {
            // a call whose results never came: store it as it is (windows leave it out)
            Held oldest = conversation.held.remove(0);
            append(session, oldest.objects, oldest.messages);
        }
    }

    /** The newest held call waiting for this id, whose tool has the result's name (when it has one). */
    private static Held heldFor(Conversation conversation, String callId, String toolName) {
        for (int i = conversation.held.size() - 1; i >= 0; i--) {
            Held held = conversation.held.get(i);
            if (held.outstanding.contains(callId) && (toolName.isEmpty() || held.messages.get(0).toolCalls().stream()
                    .anyMatch(call -> call.callId().equals(callId) && call.name().equals(toolName)))) {
                return held;
            }
        }
        return null;
    }

    private void appendSystem(String session, SystemMessage system, boolean first) {
        Optional<ConversationHeader> header = store.findConversation(session);
        String current = header.map(h -> h.attributes().get(SYSTEM_TEXT)).orElse(null);
        if (system.text().equals(current)) {
            mark(system, session, Known.STORED);
            return;
        }
        long version = header.map(h -> h.attributes().get(SYSTEM_VERSION)).map(Long::parseLong).orElse(0L) + 1;
        // deterministic: instances that store the same system message at the same point store it once
        AppendRequest request = builder(session)
                .appendId(SYSTEM_APPEND_ID + version + "-" + sha256(system.text()))
                .messages(first ? firstSystem(MessageMapper.toStore(system, null)) : MessageMapper.toStore(system, null))
                .headerAttribute(SYSTEM_TEXT, system.text())
                .headerAttribute(SYSTEM_VERSION, Long.toString(version))
                .build();
        send(session, new Pending(request, List.of(system)), List.of(system));
    }

    /** An append to {@code session}, naming its owner when the owner function gives one. */
    private AppendRequest.Builder builder(String session) {
        AppendRequest.Builder builder = AppendRequest.builder(session, language);
        Owner owner = owners.apply(session);
        return owner == null ? builder : builder.owner(owner);
    }

    private static Message firstSystem(Message system) {
        return new Message(system.id(), system.role(), system.parts(), system.timestamp(), system.attributes(),
                Map.of(MessageMapper.EXTRAS, Map.of(SYSTEM_FIRST, true)));
    }

    private void flush(String session, List<ChatMessage> objects, List<Message> batch) {
        if (!batch.isEmpty()) {
            append(session, objects, batch);
            objects.clear();
            batch.clear();
        }
    }

    private void append(String session, List<ChatMessage> objects, List<Message> messages) {
        AppendRequest request = builder(session)
                .appendId("lc4j-" + UUID.randomUUID())
                .messages(messages)
                .build();
        List<ChatMessage> copy = List.copyOf(objects);
        send(session, new Pending(request, copy), copy);
    }

    /** Appends; on failure remembers the request so that the same messages are retried under its id. */
    private void send(String session, Pending pending, List<ChatMessage> objects) {
        List<ChatMessage> messages = objects;
        if (messages == null) {
            messages = new ArrayList<>();
            for (WeakReference<ChatMessage> ref : pending.messages) {
                ChatMessage m = ref.get();
                if (m != null) {
                    messages.add(m);
                }
            }
        }
        try {
            if (objects != null && pending.request.appendId().startsWith(SYSTEM_APPEND_ID)) {
                // a first send under an id derived from the content may name a batch of an erased
                // conversation: the prompt is new to this one. A retry (objects == null) never re-sends.
                Appends.appendAnew(store, pending.request);
            } else {
                store.appendMessages(pending.request);
            }
        } catch (RuntimeException e) {
            for (ChatMessage m : messages) {
                mark(m, session, pending);
            }
            throw e;
        }
        for (ChatMessage m : messages) {
            mark(m, session, Known.STORED);
        }
    }

    /**
     * The messages of a list this engine knows nothing of that are not stored: the list is taken as
     * stored messages (some perhaps evicted) followed by new ones, and its longest prefix found, in
     * order, in the stored tail is not written again. System messages are left to the system rule.
     */
    private List<ChatMessage> newByContent(String session, List<ChatMessage> messages) {
        int limit = Math.min(ConversationStore.MAX_READ_LIMIT, Math.max(1, messages.size() + window));
        List<ChatMessage> tail = new ArrayList<>();
        for (StoredMessage stored : store.recentMessages(session, limit)) {
            if (stored.role() != Role.SYSTEM) {
                tail.addAll(MessageMapper.fromStore(stored.message()));
            }
        }
        List<ChatMessage> segment = new ArrayList<>();
        int next = 0;
        boolean matching = true;
        for (ChatMessage m : messages) {
            if (m instanceof SystemMessage) {
                segment.add(m);
                continue;
            }
            if (matching) {
                int found = -1;
                for (int j = next; j < tail.size() && found < 0; j++) {
                    if (tail.get(j).equals(m)) {
                        found = j;
                    }
                }
                if (found >= 0) {
                    next = found + 1;
                    mark(m, session, Known.STORED);
                    continue;
                }
                matching = false;
            }
            segment.add(m);
        }
        return segment;
    }

    // ---------------------------------------------------------------- state

    private boolean isKnown(ChatMessage message, String session) {
        Object status = status(message, session);
        return status == Known.STORED || status == Known.HELD;
    }

    private Object status(ChatMessage message, String session) {
        return known.get(message, session);
    }

    private void mark(ChatMessage message, String session, Object status) {
        known.put(message, session, status);
    }

    private Conversation conversation(String session) {
        synchronized (conversations) {
            return conversations.computeIfAbsent(session, s -> new Conversation());
        }
    }

    private ReentrantLock lock(String session) {
        return locks[Math.floorMod(session.hashCode(), locks.length)];
    }

    /** How many message objects the engine remembers (for tests). */
    int rememberedMessages() {
        return known.size();
    }

    private static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
