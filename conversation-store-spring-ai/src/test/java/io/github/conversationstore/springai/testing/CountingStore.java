package io.github.conversationstore.springai.testing;

import io.github.conversationstore.testing.ForwardingConversationStore;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.StoredMessage;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** A store that counts the messages its reads return (the messages decoded for the caller). */
public final class CountingStore extends ForwardingConversationStore {
    public final AtomicLong messagesRead = new AtomicLong();

    public CountingStore(ConversationStore delegate) {
        super(delegate);
    }

    @Override
    public List<StoredMessage> recentMessages(String sessionId, int limit) {
        return counted(delegate.recentMessages(sessionId, limit));
    }

    @Override
    public List<StoredMessage> readMessages(String sessionId, long fromSequence, int limit) {
        return counted(delegate.readMessages(sessionId, fromSequence, limit));
    }

    private List<StoredMessage> counted(List<StoredMessage> messages) {
        messagesRead.addAndGet(messages.size());
        return messages;
    }
}
