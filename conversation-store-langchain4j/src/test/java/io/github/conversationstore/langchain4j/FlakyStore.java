package io.github.conversationstore.langchain4j;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.StoredMessage;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store whose next appends are applied but answered with an error, as when the reply is lost
 * on the network; it records every append's result.
 */
final class FlakyStore implements ConversationStore {
    private final ConversationStore delegate;
    final AtomicInteger lostReplies = new AtomicInteger();
    final List<AppendResult> results = new CopyOnWriteArrayList<>();

    FlakyStore(ConversationStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public AppendResult appendMessages(AppendRequest request) {
        AppendResult result = delegate.appendMessages(request);
        results.add(result);
        if (lostReplies.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new ConversationStoreUnavailableException("reply lost (injected)", null);
        }
        return result;
    }

    @Override
    public List<StoredMessage> recentMessages(String sessionId, int limit) {
        return delegate.recentMessages(sessionId, limit);
    }

    @Override
    public List<StoredMessage> readMessages(String sessionId, long fromSequence, int limit) {
        return delegate.readMessages(sessionId, fromSequence, limit);
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
