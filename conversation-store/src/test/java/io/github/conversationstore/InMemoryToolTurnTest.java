package io.github.conversationstore;

class InMemoryToolTurnTest extends AbstractToolTurnTest {
    @Override
    protected ConversationStore[] createStores() {
        ConversationStore store = InMemoryConversationStore.create();
        return new ConversationStore[] {store, store};
    }
}
