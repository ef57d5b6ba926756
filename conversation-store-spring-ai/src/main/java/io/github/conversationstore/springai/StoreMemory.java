package io.github.conversationstore.springai;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.Owner;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ContextWindow;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.Summary;
import io.github.conversationstore.internal.Appends;
import io.github.conversationstore.internal.Ledger;
import io.github.conversationstore.spi.TokenCounter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;

/**
 * What the chat memory and the repository share: the window read, the append with its ledger of
 * append ids, and the record of which message objects are stored.
 *
 * <p>The ledger is kept by message identity, weakly, per conversation: Spring AI's messages compare
 * by content, and an entry must not keep a message alive. A message object handed out by
 * {@link #window(String)}, or stored by an append that succeeded, is known stored (with its place);
 * one whose append failed is known sent, with the request to send again. Erasing a conversation
 * forgets all of it.
 */
final class StoreMemory {
    /** Most messages in one append (the store's limit). */
    static final int MAX_BATCH = ConversationStore.MAX_MESSAGES_PER_APPEND;

    final ConversationStore store;
    final String language;
    final int maxMessages;
    final MessageMapping.Limits limits;
    /** The owner every append names, or null. */
    final Owner owner;

    private final Ledger<Message, Object> ledger = new Ledger<>();

    /** Where a message object is stored: its stored id and sequence number. */
    record Read(String messageId, long sequence) {}

    /** A message object sent by an append whose outcome is unknown: the request, and its place in it. */
    private record Sent(AppendRequest request, int index) {}

    /** Names the append id of a batch of new messages (the {@code chunk}-th of one call). */
    @FunctionalInterface
    interface AppendIds {
        String of(List<io.github.conversationstore.Message> batch, int chunk);
    }

    StoreMemory(ConversationStore store, String language, int maxMessages, MessageMapping.Limits limits) {
        this(store, language, maxMessages, limits, null);
    }

    StoreMemory(ConversationStore store, String language, int maxMessages, MessageMapping.Limits limits, Owner owner) {
        this.owner = owner;
        this.store = Objects.requireNonNull(store, "store");
        this.language = language;
        this.maxMessages = maxMessages;
        this.limits = limits;
    }

    /**
     * Checks a conversation id by the store's session-id rules, naming it as Spring AI does.
     *
     * @throws NullPointerException if it is null
     * @throws IllegalArgumentException if it is blank, too long or holds a control character
     */
    static String conversationId(String conversationId) {
        Objects.requireNonNull(conversationId, "conversationId");
        if (conversationId.isBlank()) {
            throw new IllegalArgumentException("conversationId must not be blank");
        }
        if (conversationId.length() > ConversationStore.MAX_SESSION_ID_LENGTH) {
            throw new IllegalArgumentException("conversationId must be at most " + ConversationStore.MAX_SESSION_ID_LENGTH
                    + " characters, was " + conversationId.length());
        }
        for (int i = 0; i < conversationId.length(); i++) {
            if (Character.isISOControl(conversationId.charAt(i))) {
                throw new IllegalArgumentException("conversationId must not contain control characters (found U+"
                        + String.format(Locale.ROOT, "%04X", (int) conversationId.charAt(i)) + " at index " + i + ")");
            }
        }
        return conversationId;
    }

    /**
     * The last {@code maxMessages} messages with tool pairs kept whole, as Spring AI messages; of
     * the system messages among them only the latest (the current system prompt), as Spring AI's
     * own {@code MessageWindowChatMemory} keeps.
     */
    List<Message> window(String conversationId) {
        return known(conversationId, store.promptWindow(conversationId, maxMessages));
    }

    /**
     * The token window: the store's {@link ConversationStore#contextWindow context window} within
     * {@code budget} tokens, its summary (if any) first as a {@link SystemMessage} with the heading
     * {@link ConversationStoreChatMemory} documents, then its messages as {@link #window}
     * hands them out (only the latest system message). The heading's tokens (the counter's count of
     * it as a message of its own) are taken from the budget only when a summary is shown: the
     * window is read again with the budget less the heading when summary, heading and messages would
     * not fit together. Reads the summaries and the tail only, once or twice.
     */
    List<Message> tokenWindow(String conversationId, int budget, TokenCounter counter) {
        ContextWindow window = store.contextWindow(conversationId, budget, counter);
        Summary summary = window.summary().orElse(null);
        if (summary != null) {
            long heading = counter.count(io.github.conversationstore.Message.system(
                    ConversationStoreChatMemory.heading(summary)));
            if (window.tokens() + heading > budget) {
                if (budget - heading > 0) {
                    window = store.contextWindow(conversationId, (int) (budget - heading), counter);
                    summary = window.summary().orElse(null);
                } else {
                    summary = null; // the heading alone fills the budget: the messages only, as they fit
                }
            }
        }
        List<Message> messages = new ArrayList<>(window.messages().size() + 1);
        if (summary != null) {
            Message shown = ConversationStoreChatMemory.summaryMessage(summary);
            // known stored: adding it back (a caller that saves what get returned) stores nothing
            ledger.put(shown, conversationId, new Read(summary.message().id(), summary.toSequence() - 1));
            messages.add(shown);
        }
        messages.addAll(known(conversationId, window.storedMessages()));
        return messages;
    }

    /** The stored messages as Spring AI messages, known stored, with only the latest system message. */
    private List<Message> known(String conversationId, List<StoredMessage> window) {
        int lastSystem = -1;
        for (int i = 0; i < window.size(); i++) {
            if (window.get(i).role() == Role.SYSTEM) {
                lastSystem = i;
            }
        }
        List<Message> messages = new ArrayList<>(window.size());
        for (int i = 0; i < window.size(); i++) {
            StoredMessage stored = window.get(i);
            if (stored.role() == Role.SYSTEM && i != lastSystem) {
                continue;
            }
            Message message = MessageMapping.toSpring(stored.message());
            ledger.put(message, conversationId, new Read(stored.message().id(), stored.sequence()));
            messages.add(message);
        }
        return messages;
    }

    /** Where this message object is stored in this conversation, if it was read from it or stored in it. */
    Read readFrom(Message message, String conversationId) {
        return ledger.get(message, conversationId) instanceof Read read ? read : null;
    }

    /** Whether this message object was sent to this conversation by an append whose outcome is unknown. */
    boolean sentBefore(Message message, String conversationId) {
        return ledger.get(message, conversationId) instanceof Sent;
    }

    /** Forgets everything known of the conversation's message objects (the conversation was erased). */
    void forget(String conversationId) {
        ledger.forget(conversationId);
    }

    /** Maps every message, so that one the store cannot take fails the call before anything is written. */
    List<io.github.conversationstore.Message> map(List<Message> messages) {
        List<io.github.conversationstore.Message> mapped = new ArrayList<>(messages.size());
        for (Message message : messages) {
            mapped.add(MessageMapping.toStored(message, limits));
        }
        return mapped;
    }

    void append(String conversationId, List<Message> messages, AppendIds appendIds) {
        append(conversationId, messages, map(messages), appendIds);
    }

    /**
     * Appends the messages ({@code mapped} is their stored form) to the conversation: those sent
     * before (by this object, to this conversation, with an outcome unknown) again under their first
     * append id, so that the store applies them once; the others in batches of at most
     * {@value #MAX_BATCH}, each one atomic, under the ids {@code appendIds} gives. Messages known
     * stored are skipped. Every message stored is known stored from then on.
     */
    void append(String conversationId, List<Message> messages, List<io.github.conversationstore.Message> mapped,
            AppendIds appendIds) {
        List<AppendRequest> again = new ArrayList<>();
        List<Message> fresh = new ArrayList<>();
        List<io.github.conversationstore.Message> stored = new ArrayList<>();
        Set<Message> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < messages.size(); i++) {
            Message message = messages.get(i);
            if (!seen.add(message)) {
                continue; // the same object twice in one call is one message
            }
            Object known = ledger.get(message, conversationId);
            if (known instanceof Read) {
                continue;
            }
            if (known instanceof Sent sent) {
                if (again.stream().noneMatch(request -> request == sent.request())) {
                    again.add(sent.request());
                }
            } else {
                fresh.add(message);
                stored.add(mapped.get(i));
            }
        }
        for (AppendRequest request : again) {
            // a retry under its own id: if that id was erased meanwhile, the erasure stands (never re-sent)
            AppendResult result = store.appendMessages(request);
            for (Message message : seen) {
                if (ledger.get(message, conversationId) instanceof Sent sent && sent.request() == request) {
                    ledger.put(message, conversationId, new Read(request.messages().get(sent.index()).id(),
                            result.firstSequence() + sent.index()));
                }
            }
        }
        for (int from = 0, chunk = 0; from < fresh.size(); from += MAX_BATCH, chunk++) {
            int to = Math.min(fresh.size(), from + MAX_BATCH);
            List<io.github.conversationstore.Message> batch = stored.subList(from, to);
            AppendRequest.Builder builder = AppendRequest.builder(conversationId, language)
                    .appendId(appendIds.of(batch, chunk))
                    .messages(batch);
            AppendRequest request = (owner == null ? builder : builder.owner(owner)).build();
            for (int j = from; j < to; j++) {
                ledger.put(fresh.get(j), conversationId, new Sent(request, j - from));
            }
            AppendResult result = Appends.appendAnew(store, request);
            for (int j = from; j < to; j++) {
                ledger.put(fresh.get(j), conversationId, new Read(batch.get(j - from).id(),
                        result.firstSequence() + (j - from)));
            }
        }
    }
}
