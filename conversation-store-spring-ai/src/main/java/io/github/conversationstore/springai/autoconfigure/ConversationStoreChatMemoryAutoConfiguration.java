package io.github.conversationstore.springai.autoconfigure;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.springai.ConversationStoreChatMemory;
import io.github.conversationstore.springai.ConversationStoreChatMemoryRepository;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Spring Boot auto-configuration of Spring AI's chat memory on the application's
 * {@link ConversationStore} bean (the auto-configured one, or the application's own): a
 * {@link ConversationStoreChatMemory} as the {@link ChatMemory} bean and a
 * {@link ConversationStoreChatMemoryRepository} as the {@link ChatMemoryRepository} bean. It runs
 * before Spring AI's own chat memory auto-configuration, which then backs off; each bean backs off
 * when the application defines its own of that type, and the chat memory also when the application
 * defines its own {@code ChatMemoryRepository} (Spring AI's auto-configuration then builds its
 * memory on it, as it does without this library).
 *
 * @since 0.2.0
 */
@AutoConfiguration(after = ConversationStoreAutoConfiguration.class,
        beforeName = "org.springframework.ai.model.chat.memory.autoconfigure.ChatMemoryAutoConfiguration")
@ConditionalOnClass({ChatMemory.class, ChatMemoryRepository.class, ConversationStore.class})
@ConditionalOnBean(ConversationStore.class)
@EnableConfigurationProperties(ConversationStoreProperties.class)
public class ConversationStoreChatMemoryAutoConfiguration {

    /**
     * Creates the auto-configuration; Spring Boot does.
     *
     * @since 0.2.0
     */
    public ConversationStoreChatMemoryAutoConfiguration() {}

    /**
     * The repository, for applications that build a {@code MessageWindowChatMemory} on it. It lists
     * conversation ids when the store is the auto-configured one.
     *
     * @param store the store
     * @param properties the settings
     * @return the repository
     * @since 0.2.0
     */
    @Bean
    @ConditionalOnMissingBean(ChatMemoryRepository.class)
    public ConversationStoreChatMemoryRepository conversationStoreChatMemoryRepository(ConversationStore store,
            ConversationStoreProperties properties) {
        return ConversationStoreChatMemoryRepository.builder(store)
                .language(properties.language())
                .maxMessages(properties.maxMessages())
                .omitLargeMedia(properties.omitLargeMedia())
                .maxTextBytes(properties.maxTextBytes())
                .maxMessageBytes(properties.maxMessageBytes())
                .build();
    }

    /**
     * The chat memory, unless the application has its own {@link ChatMemoryRepository} bean: Spring
     * AI's own auto-configuration then builds its {@code MessageWindowChatMemory} on that repository.
     *
     * @since 0.2.0
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingBean(value = ChatMemoryRepository.class, ignored = ConversationStoreChatMemoryRepository.class)
    static class ChatMemoryConfiguration {
        /**
         * The chat memory: appends exactly what it is given, reads only the window.
         *
         * @param store the store
         * @param properties the settings
         * @return the chat memory
         */
        @Bean
        @ConditionalOnMissingBean(ChatMemory.class)
        ConversationStoreChatMemory conversationStoreChatMemory(ConversationStore store,
                ConversationStoreProperties properties) {
            return ConversationStoreChatMemory.builder(store)
                    .language(properties.language())
                    .maxMessages(properties.maxMessages())
                    .omitLargeMedia(properties.omitLargeMedia())
                    .maxTextBytes(properties.maxTextBytes())
                    .maxMessageBytes(properties.maxMessageBytes())
                    .build();
        }
    }
}
