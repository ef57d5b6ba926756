package io.github.conversationstore;

class InMemoryTurnServiceTest extends AbstractTurnServiceTest {
    @Override
    protected ConversationStore[] createStores() {
        ConversationStore store = InMemoryConversationStore.create();
        return new ConversationStore[] {store, store};
    }
}
