package io.github.conversationstore;

class InMemoryConversationStoreTest extends AbstractConversationStoreContractTest {
    @Override
    protected ConversationStore createStore() {
        return InMemoryConversationStore.create();
    }

    @Override
    public ConversationStore createStoreRequiringOwner() {
        return InMemoryConversationStore.builder().requireOwner(true).build();
    }
}
