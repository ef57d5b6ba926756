package io.github.conversationstore.springai;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;

/** Token windows of the chat memory on the in-memory store. */
class InMemoryTokenWindowTest extends AbstractTokenWindowTest {
    @Override
    protected ConversationStore newStore() {
        return InMemoryConversationStore.create();
    }
}
