package io.github.conversationstore;

class InMemoryBranchTurnTest extends AbstractBranchTurnTest {
    @Override
    protected ConversationStore[] createStores() {
        ConversationStore store = InMemoryConversationStore.create();
        return new ConversationStore[] {store, store};
    }
}
