package io.github.conversationstore;

class InMemoryStreamingTurnTest extends AbstractStreamingTurnTest {
    @Override
    protected ConversationStore[] createStores() {
        ConversationStore store = InMemoryConversationStore.create();
        return new ConversationStore[] {store, store};
    }
}
