package io.github.conversationstore;

class InMemoryCompactionTest extends AbstractCompactionTest {
    @Override
    protected ConversationStore[] createStores() {
        ConversationStore store = InMemoryConversationStore.create();
        return new ConversationStore[] {store, store};
    }
}
