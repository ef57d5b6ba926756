/**
 * conversation-store behind Spring AI's chat memory: the store's guarantees (atomic, exactly-once,
 * ordered, unbounded appends; reads of the window only) through the interfaces Spring AI's advisors
 * use.
 *
 * <ul>
 *   <li>{@link io.github.conversationstore.springai.ConversationStoreChatMemory}: a
 *       {@link org.springframework.ai.chat.memory.ChatMemory} that appends exactly what it is given
 *       and reads only the window. The one to use with {@code MessageChatMemoryAdvisor}.</li>
 *   <li>{@link io.github.conversationstore.springai.ConversationStoreChatMemoryRepository}: a
 *       {@link org.springframework.ai.chat.memory.ChatMemoryRepository} for applications that keep
 *       {@code MessageWindowChatMemory}; it appends the new end of each list it is handed and never
 *       deletes history.</li>
 * </ul>
 *
 * <p>With Spring Boot, the {@code io.github.conversationstore.springai.autoconfigure} package
 * creates both, and a {@code MongoConversationStore} on the application's {@code MongoClient}.
 * Works with Spring AI 1.1.x and 2.0.x.
 *
 * @since 0.2.0
 */
package io.github.conversationstore.springai;
