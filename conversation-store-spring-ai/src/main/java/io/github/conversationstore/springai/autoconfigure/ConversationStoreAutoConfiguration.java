package io.github.conversationstore.springai.autoconfigure;

import com.mongodb.ConnectionString;
import com.mongodb.client.MongoClient;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.observability.MicrometerStoreListener;
import io.github.conversationstore.observability.OpenTelemetryStoreListener;
import io.github.conversationstore.spi.StoreListener;
import java.util.List;
import java.util.stream.Collectors;
import io.github.conversationstore.spi.KeyProvider;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Spring Boot auto-configuration of a {@link MongoConversationStore} on the application's
 * {@link MongoClient} bean, configured by {@link ConversationStoreProperties}, in the database
 * Spring Boot's MongoDB properties name unless {@code conversation-store.database} says otherwise.
 * It backs off when the
 * application defines its own {@link ConversationStore} bean, and does nothing without a
 * {@code MongoClient} bean. The store leaves the client open when it is closed. Every
 * {@link StoreListener} bean listens to it; with {@code conversation-store-observability} on the
 * class path, a Micrometer {@code MeterRegistry} bean gets the store's meters and an
 * {@code OpenTelemetry} bean its spans. A single {@link KeyProvider} bean turns encryption on
 * ({@code MongoConversationStore.Builder#encryption}: message content sealed with a data key per
 * conversation, see the core's {@code docs/ENCRYPTION.md}).
 *
 * @since 0.2.0
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.autoconfigure.mongo.MongoAutoConfiguration",
    "org.springframework.boot.mongodb.autoconfigure.MongoAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "io.opentelemetry.instrumentation.spring.autoconfigure.OpenTelemetryAutoConfiguration"})
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

    /**
     * With the observability module and a Micrometer {@code MeterRegistry} bean: the store's meters.
     *
     * @since 0.2.0
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"io.micrometer.core.instrument.MeterRegistry",
        "io.github.conversationstore.observability.MicrometerStoreListener"})
    static class MicrometerConfiguration {
        @Bean
        @ConditionalOnBean(type = "io.micrometer.core.instrument.MeterRegistry")
        @ConditionalOnMissingBean(type = "io.github.conversationstore.observability.MicrometerStoreListener")
        AutoConfiguredListener conversationStoreMeters(io.micrometer.core.instrument.MeterRegistry registry) {
            return new AutoConfiguredListener(
                    MicrometerStoreListener.builder(registry).build());
        }
    }

    /**
     * With the observability module and an {@code OpenTelemetry} bean: the store's spans.
     *
     * @since 0.2.0
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"io.opentelemetry.api.OpenTelemetry",
        "io.github.conversationstore.observability.OpenTelemetryStoreListener"})
    static class OpenTelemetryConfiguration {
        @Bean
        @ConditionalOnBean(type = "io.opentelemetry.api.OpenTelemetry")
        @ConditionalOnMissingBean(type = "io.github.conversationstore.observability.OpenTelemetryStoreListener")
        AutoConfiguredListener conversationStoreSpans(io.opentelemetry.api.OpenTelemetry openTelemetry) {
            return new AutoConfiguredListener(
                    OpenTelemetryStoreListener.builder(openTelemetry).build());
        }
    }

    /**
     * A listener of the observability module that this auto-configuration made: not a
     * {@code StoreListener} bean itself, so that an application's own listener of the same kind,
     * however declared, takes its place.
     */
    static final class AutoConfiguredListener {
        private final StoreListener listener;

        AutoConfiguredListener(StoreListener listener) {
            this.listener = listener;
        }

        StoreListener listener() {
            return listener;
        }
    }

    /** The store, unless the application has its own. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingBean(ConversationStore.class)
    static class StoreConfiguration {

        @Bean
        MongoConversationStore conversationStore(MongoClient client, ConversationStoreProperties properties,
                ObjectProvider<StoreListener> listeners, ObjectProvider<AutoConfiguredListener> bindings,
                ObjectProvider<KeyProvider> keyProviders, Environment environment) {
            MongoConversationStore.Builder builder = MongoConversationStore.builder()
                    .client(client)
                    .database(database(environment, properties))
                    .maxTextBytes(properties.maxTextBytes())
                    .maxMessageBytes(properties.maxMessageBytes())
                    .collection(properties.collection())
                    .operationTimeout(properties.operationTimeout());
            List<StoreListener> own = listeners.orderedStream().collect(Collectors.toList());
            own.forEach(builder::listener);
            // a binding the application registered itself (say declared as a StoreListener) replaces ours
            bindings.orderedStream().map(AutoConfiguredListener::listener)
                    .filter(binding -> own.stream().noneMatch(l -> l.getClass() == binding.getClass()))
                    .forEach(builder::listener);
            keyProviders.ifUnique(builder::encryption);
            if (!properties.expireAfterInactivity().isZero()) {
                builder.expireAfterInactivity(properties.expireAfterInactivity());
            }
            return builder.build();
        }
    }

    /**
     * The database: {@code conversation-store.database} when set, else Spring Boot's
     * ({@code spring.data.mongodb.database}, or the one named in {@code spring.data.mongodb.uri};
     * Boot 4's {@code spring.mongodb.*} likewise), else {@code conversation_store}.
     */
    static String database(Environment environment, ConversationStoreProperties properties) {
        Binder binder = Binder.get(environment);
        if (binder.bind(ConversationStoreProperties.PREFIX + ".database", String.class).isBound()) {
            return properties.database();
        }
        for (String prefix : List.of("spring.data.mongodb", "spring.mongodb")) {
            String database = binder.bind(prefix + ".database", String.class).orElse(null);
            if (database != null && !database.isBlank()) {
                return database;
            }
            String uri = binder.bind(prefix + ".uri", String.class).orElse(null);
            if (uri != null && !uri.isBlank()) {
                String named = new ConnectionString(uri).getDatabase();
                if (named != null && !named.isBlank()) {
                    return named;
                }
            }
        }
        return properties.database();
    }
}
