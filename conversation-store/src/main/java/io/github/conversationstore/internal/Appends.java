package io.github.conversationstore.internal;

import io.github.conversationstore.AppendErasedException;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import java.util.UUID;

/**
 * Appends under an append id derived from the content, as the adapters do so that two instances
 * storing the same messages at the same point store them once. After the conversation was erased,
 * such an id can name a batch of the erased conversation: the store then refuses it
 * ({@link AppendErasedException}), and the messages, which the framework hands over anew, are
 * appended once more under a new id.
 */
public final class Appends {
    private Appends() {}

    /**
     * Appends {@code request}; if its id was applied before the conversation was erased, appends the
     * same messages under a new id instead.
     *
     * @param store the store
     * @param request the append, under an id derived from its content
     * @return the result of the append that was applied
     */
    public static AppendResult appendAnew(ConversationStore store, AppendRequest request) {
        try {
            return store.appendMessages(request);
        } catch (AppendErasedException erased) {
            return store.appendMessages(renamed(request));
        }
    }

    /**
     * The same append under a new, random id.
     *
     * @param request the append
     * @return a copy of it under a new id
     */
    public static AppendRequest renamed(AppendRequest request) {
        return new AppendRequest(request.sessionId(), request.language(), request.messages(),
                "anew-" + UUID.randomUUID(), request.headerAttributes(), request.leaseHolder(), request.renewLease(),
                request.dedupBeyondWindow(), request.owner(), request.expectedSequence(),
                request.requireExisting());
    }
}
