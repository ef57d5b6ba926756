package io.github.conversationstore.testing;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Owner;
import io.github.conversationstore.OwnerErasure;
import io.github.conversationstore.StoredMessage;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A store that forwards every call to another: tests override the calls they pause, count or make
 * fail. Also used by the adapters' and bindings' tests (the core's test jar).
 */
public class ForwardingConversationStore implements ConversationStore {
    protected final ConversationStore delegate;

    public ForwardingConversationStore(ConversationStore delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public AppendResult appendMessages(AppendRequest request) {
        return delegate.appendMessages(request);
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
    public List<String> listConversationIds(String afterSessionId, int limit) {
        return delegate.listConversationIds(afterSessionId, limit);
    }

    @Override
    public List<ConversationHeader> listConversations(Owner owner, String afterSessionId, int limit) {
        return delegate.listConversations(owner, afterSessionId, limit);
    }

    @Override
    public OwnerErasure eraseOwner(Owner owner) {
        return delegate.eraseOwner(owner);
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
