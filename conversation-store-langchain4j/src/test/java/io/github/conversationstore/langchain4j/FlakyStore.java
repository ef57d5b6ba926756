package io.github.conversationstore.langchain4j;

import io.github.conversationstore.testing.ForwardingConversationStore;

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
final class FlakyStore extends ForwardingConversationStore {
    final AtomicInteger lostReplies = new AtomicInteger();
    final List<AppendResult> results = new CopyOnWriteArrayList<>();

    FlakyStore(ConversationStore delegate) {
        super(delegate);
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
}
