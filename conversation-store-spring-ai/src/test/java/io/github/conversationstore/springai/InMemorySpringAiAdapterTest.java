package io.github.conversationstore.springai;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;

/** The adapter on the in-memory store. */
class InMemorySpringAiAdapterTest extends AbstractSpringAiAdapterTest {
    @Override
    protected ConversationStore newStore() {
        return InMemoryConversationStore.create();
    }
}
