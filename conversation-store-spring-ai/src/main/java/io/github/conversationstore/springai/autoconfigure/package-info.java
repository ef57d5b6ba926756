/**
 * Spring Boot auto-configuration: a {@code MongoConversationStore} on the application's
 * {@code MongoClient}, and the Spring AI chat memory and repository on it, configured by the
 * {@code conversation-store.*} properties ({@link
 * io.github.conversationstore.springai.autoconfigure.ConversationStoreProperties}).
 *
 * @since 0.2.0
 */
package io.github.conversationstore.springai.autoconfigure;
