package io.github.conversationstore;

/**
 * The whole contract with encryption on and heads of 4 messages: sealed messages move to the
 * archive on almost every append, and are read back across the head/archive boundary.
 */
class EncryptedEmbeddedMongoTinyHeadConversationStoreTest extends EmbeddedMongoTinyHeadConversationStoreTest {
    @Override
    protected MongoConversationStore.Builder configure(MongoConversationStore.Builder builder) {
        return super.configure(builder).encryption(TestKeys.provider());
    }
}
