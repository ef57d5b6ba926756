package io.github.conversationstore.springai.autoconfigure;

import com.mongodb.client.MongoDatabase;

/** Where the auto-configured store keeps its head documents: for listing conversation ids. */
record ConversationStoreHeads(MongoDatabase database, String collection) {}
