package io.github.conversationstore.springai;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.StoredMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.ai.chat.messages.Message;

/**
 * What the chat memory and the repository share: the window read, the append with its ledger of
 * append ids, and the record of which message objects were read from the store.
 *
 * <p>Both records are kept by message identity, weakly: Spring AI's messages compare by content,
 * and an entry must not keep a message alive.
 */
final class StoreMemory {
    /** Most messages in one append (the store's limit). */
    static final int MAX_BATCH = 256;

    final ConversationStore store;
    final String language;
    final int maxMessages;
    final boolean omitLargeMedia;

    /** Messages handed out by {@link #window(String)}: where they are stored. */
    private final WeakIdentityMap<Message, Read> read = new WeakIdentityMap<>();
    /** Messages given to {@link #append}: the request that carried them, per conversation. */
    private final WeakIdentityMap<Message, Map<String, AppendRequest>> sent = new WeakIdentityMap<>();

    /** Where a message handed out was read: its conversation, stored id and sequence number. */
    record Read(String conversationId, String messageId, long sequence) {}

    /** Names the append id of a batch of new messages (the {@code chunk}-th of one call). */
    @FunctionalInterface
    interface AppendIds {
        String of(List<io.github.conversationstore.Message> batch, int chunk);
    }

    StoreMemory(ConversationStore store, String language, int maxMessages, boolean omitLargeMedia) {
        this.store = Objects.requireNonNull(store, "store");
        this.language = language;
        this.maxMessages = maxMessages;
        this.omitLargeMedia = omitLargeMedia;
    }

    /** The last {@code maxMessages} messages with tool pairs kept whole, as Spring AI messages. */
    List<Message> window(String conversationId) {
        List<StoredMessage> window = store.promptWindow(conversationId, maxMessages);
        List<Message> messages = new ArrayList<>(window.size());
        for (StoredMessage stored : window) {
            Message message = MessageMapping.toSpring(stored.message());
            read.put(message, new Read(conversationId, stored.message().id(), stored.sequence()));
            messages.add(message);
        }
        return messages;
    }

    /** Where this message object was read from, if {@link #window} handed it out for this conversation. */
    Read readFrom(Message message, String conversationId) {
        Read where = read.get(message);
        return where != null && where.conversationId().equals(conversationId) ? where : null;
    }

    /**
     * Appends the messages to the conversation: those sent before (by this object, to this
     * conversation) again under their first append id, so that the store applies them once; the
     * others in batches of at most {@value #MAX_BATCH}, each one atomic, under the ids
     * {@code appendIds} gives. Every message is mapped before anything is written, so a message the
     * store cannot take fails the call with nothing stored.
     */
    void append(String conversationId, List<Message> messages, AppendIds appendIds) {
        List<AppendRequest> again = new ArrayList<>();
        List<Message> fresh = new ArrayList<>();
        java.util.Set<Message> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Message message : messages) {
            if (!seen.add(message)) {
                continue; // the same object twice in one call is one message
            }
            AppendRequest earlier = sentBefore(message, conversationId);
            if (earlier == null) {
                fresh.add(message);
            } else if (again.stream().noneMatch(request -> request == earlier)) {
                again.add(earlier);
            }
        }
        List<io.github.conversationstore.Message> stored = new ArrayList<>(fresh.size());
        for (Message message : fresh) {
            stored.add(MessageMapping.toStored(message, omitLargeMedia));
        }
        for (AppendRequest request : again) {
            store.appendMessages(request);
        }
        for (int from = 0, chunk = 0; from < fresh.size(); from += MAX_BATCH, chunk++) {
            int to = Math.min(fresh.size(), from + MAX_BATCH);
            List<io.github.conversationstore.Message> batch = stored.subList(from, to);
            AppendRequest request = AppendRequest.builder(conversationId, language)
                    .appendId(appendIds.of(batch, chunk))
                    .messages(batch)
                    .build();
            for (Message message : fresh.subList(from, to)) {
                remember(message, conversationId, request);
            }
            store.appendMessages(request);
        }
    }

    private AppendRequest sentBefore(Message message, String conversationId) {
        Map<String, AppendRequest> byConversation = sent.get(message);
        if (byConversation == null) {
            return null;
        }
        synchronized (byConversation) {
            return byConversation.get(conversationId);
        }
    }

    private void remember(Message message, String conversationId, AppendRequest request) {
        Map<String, AppendRequest> byConversation;
        synchronized (sent) {
            byConversation = sent.get(message);
            if (byConversation == null) {
                byConversation = new HashMap<>(2);
                sent.put(message, byConversation);
            }
        }
        synchronized (byConversation) {
            byConversation.putIfAbsent(conversationId, request);
        }
    }
}
