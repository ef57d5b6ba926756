package io.github.conversationstore;

/**
 * The contract on the embedded server with heads of at most 4 messages and 2 KiB, so that almost
 * every append moves messages to the archive: every contract test, the concurrent ones included,
 * then runs across the head/archive boundary.
 */
class EmbeddedMongoTinyHeadConversationStoreTest extends EmbeddedMongoConversationStoreTest {
    @Override
    protected MongoConversationStore.Builder configure(MongoConversationStore.Builder builder) {
        return builder.maxHeadMessages(4).maxHeadBytes(2048);
    }
}
