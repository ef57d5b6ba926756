package io.github.conversationstore;

/** The whole contract on the embedded server with encryption on: every message is sealed with its conversation's data key. */
class EncryptedEmbeddedMongoConversationStoreTest extends EmbeddedMongoConversationStoreTest {
    @Override
    protected MongoConversationStore.Builder configure(MongoConversationStore.Builder builder) {
        return super.configure(builder).encryption(TestKeys.provider());
    }
}
