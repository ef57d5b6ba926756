package io.github.conversationstore.springai.autoconfigure;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Spring Boot auto-configuration of a {@link MongoConversationStore} on the application's
 * {@link MongoClient} bean, configured by {@link ConversationStoreProperties}. It backs off when the
 * application defines its own {@link ConversationStore} bean, and does nothing without a
 * {@code MongoClient} bean. The store leaves the client open when it is closed.
 *
 * @since 0.2.0
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.autoconfigure.mongo.MongoAutoConfiguration",
    "org.springframework.boot.mongodb.autoconfigure.MongoAutoConfiguration"})
@ConditionalOnClass({MongoClient.class, ConversationStore.class})
@ConditionalOnBean(MongoClient.class)
@EnableConfigurationProperties(ConversationStoreProperties.class)
public class ConversationStoreAutoConfiguration {

    /**
     * Creates the auto-configuration; Spring Boot does.
     *
     * @since 0.2.0
     */
    public ConversationStoreAutoConfiguration() {}

    /** The store and where its heads are, created together or not at all. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingBean(ConversationStore.class)
    static class StoreConfiguration {

        @Bean
        MongoConversationStore conversationStore(MongoClient client, ConversationStoreProperties properties) {
            MongoConversationStore.Builder builder = MongoConversationStore.builder()
                    .client(client)
                    .database(properties.database())
                    .collection(properties.collection())
                    .operationTimeout(properties.operationTimeout());
            if (!properties.expireAfterInactivity().isZero()) {
                builder.expireAfterInactivity(properties.expireAfterInactivity());
            }
            return builder.build();
        }
    }
}
