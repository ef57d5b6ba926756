package io.github.conversationstore;

class InMemoryStreamingEdgesTest extends AbstractStreamingEdgesTest {
    @Override
    protected ConversationStore[] createStores() {
        ConversationStore store = InMemoryConversationStore.create();
        return new ConversationStore[] {store, store};
    }
}
