package io.github.conversationstore;

class InMemoryConversationStoreTest extends AbstractConversationStoreContractTest {
    @Override
    protected ConversationStore createStore() {
        return InMemoryConversationStore.create();
    }
}
