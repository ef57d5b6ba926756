package io.github.conversationstore.springai.testing;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.testing.ForwardingConversationStore;
import java.util.concurrent.atomic.AtomicInteger;

/** A store whose next appends or erasures are applied but answered with an error, as when the reply is lost. */
public final class LostReplyStore extends ForwardingConversationStore {
    public final AtomicInteger lostAppendReplies = new AtomicInteger();
    public final AtomicInteger lostDeleteReplies = new AtomicInteger();

    public LostReplyStore(ConversationStore delegate) {
        super(delegate);
    }

    @Override
    public AppendResult appendMessages(AppendRequest request) {
        AppendResult result = delegate.appendMessages(request);
        if (lostAppendReplies.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new ConversationStoreUnavailableException("reply lost (injected)", null);
        }
        return result;
    }

    @Override
    public long deleteConversation(String sessionId) {
        long deleted = delegate.deleteConversation(sessionId);
        if (lostDeleteReplies.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new ConversationStoreUnavailableException("reply lost (injected)", null);
        }
        return deleted;
    }
}
