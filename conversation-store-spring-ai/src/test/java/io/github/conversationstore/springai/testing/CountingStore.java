package io.github.conversationstore.springai.testing;

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
public final class CountingStore implements ConversationStore {
    private final ConversationStore delegate;
    public final AtomicLong messagesRead = new AtomicLong();

    public CountingStore(ConversationStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public AppendResult appendMessages(AppendRequest request) {
        return delegate.appendMessages(request);
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

    @Override
    public Optional<ConversationHeader> findConversation(String sessionId) {
        return delegate.findConversation(sessionId);
    }

    @Override
    public long deleteConversation(String sessionId) {
        return delegate.deleteConversation(sessionId);
    }

    @Override
    public boolean tryAcquireLease(String sessionId, String language, String holder, Duration duration) {
        return delegate.tryAcquireLease(sessionId, language, holder, duration);
    }

    @Override
    public boolean renewLease(String sessionId, String holder, Duration duration) {
        return delegate.renewLease(sessionId, holder, duration);
    }

    @Override
    public void releaseLease(String sessionId, String holder) {
        delegate.releaseLease(sessionId, holder);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
