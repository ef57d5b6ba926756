package io.github.conversationstore.springai.issues;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.observability.MicrometerStoreListener;
import io.github.conversationstore.spi.StoreListener;
import io.github.conversationstore.springai.autoconfigure.ConversationStoreAutoConfiguration;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Review 3: the auto-configured Micrometer listener backs off only when the application's bean is
 * declared with the type MicrometerStoreListener. The README's way of adding a tag
 * ({@code MicrometerStoreListener.builder(registry).tag("store", "tutor").build()}) returned from a
 * {@code @Bean StoreListener ...} method is not seen (the condition reads the factory method's
 * return type), so two Micrometer listeners listen to the store and every append is counted twice.
 */
class ApplicationBindingReplacesAutoConfiguredTest {
    private static EmbeddedMongo server;

    @BeforeAll
    static void start() {
        server = new EmbeddedMongo();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Configuration(proxyBeanMethods = false)
    static class Application {
        @Bean
        MeterRegistry registry() {
            return new SimpleMeterRegistry();
        }

        @Bean
        StoreListener storeMeters(MeterRegistry registry) {
            return MicrometerStoreListener.builder(registry).tag("store", "tutor").build();
        }
    }

    @Test
    void applicationsOwnMicrometerListenerDeclaredAsStoreListener_appendsAreCountedTwice() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ConversationStoreAutoConfiguration.class))
                .withUserConfiguration(Application.class)
                .withBean(MongoClient.class, () -> MongoClients.create(server.connectionString()))
                .withPropertyValues("conversation-store.database=review3")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    context.getBean(ConversationStore.class).appendMessages("s", "es", List.of(Message.user("hola")));
                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    long appends = registry.find(MicrometerStoreListener.APPEND).timers().stream()
                            .mapToLong(Timer::count).sum();
                    assertThat(appends).as("one append, timed once; listeners: %s",
                            context.getBeansOfType(MicrometerStoreListener.class).keySet()).isEqualTo(1);
                });
    }
}
