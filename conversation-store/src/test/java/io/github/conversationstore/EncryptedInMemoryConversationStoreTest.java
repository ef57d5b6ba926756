package io.github.conversationstore;

/** The whole contract on the in-memory store with encryption on (a data key per conversation life). */
class EncryptedInMemoryConversationStoreTest extends AbstractConversationStoreContractTest {
    @Override
    protected ConversationStore createStore() {
        return InMemoryConversationStore.builder().encryption(TestKeys.provider()).build();
    }

    @Override
    public ConversationStore createStoreRequiringOwner() {
        return InMemoryConversationStore.builder().encryption(TestKeys.provider()).requireOwner(true).build();
    }
}
