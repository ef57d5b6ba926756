package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.LocalKeyProvider;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.springai.autoconfigure.ConversationStoreAutoConfiguration;
import io.github.conversationstore.springai.autoconfigure.ConversationStoreChatMemoryAutoConfiguration;
import io.github.conversationstore.springai.autoconfigure.ConversationStoreProperties;
import io.github.conversationstore.spi.KeyProvider;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.memory.InMemoryChatMemoryRepository;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.model.chat.memory.autoconfigure.ChatMemoryAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The Spring Boot auto-configuration, beside Spring AI's own chat memory auto-configuration. */
class AutoConfigurationTest {
    private static EmbeddedMongo server;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ConversationStoreAutoConfiguration.class,
                    ConversationStoreChatMemoryAutoConfiguration.class, ChatMemoryAutoConfiguration.class));

    @BeforeAll
    static void start() {
        server = new EmbeddedMongo();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private ApplicationContextRunner withMongoClient() {
        return runner.withBean(MongoClient.class, () -> MongoClients.create(server.connectionString()));
    }

    @Test
    void mongoClientBean_createsStoreChatMemoryAndRepository() {
        withMongoClient().withPropertyValues("conversation-store.database=autoconfigured",
                "conversation-store.language=fr", "conversation-store.max-messages=2").run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(ConversationStore.class);
                    assertThat(context.getBean(ConversationStore.class)).isInstanceOf(MongoConversationStore.class);
                    assertThat(context.getBean(ChatMemory.class)).isInstanceOf(ConversationStoreChatMemory.class);
                    assertThat(context.getBean(ChatMemoryRepository.class))
                            .isInstanceOf(ConversationStoreChatMemoryRepository.class);

                    ChatMemory memory = context.getBean(ChatMemory.class);
                    memory.add("auto-1", List.of(new UserMessage("bonjour"), new AssistantMessage("salut"),
                            new UserMessage("ça va ?")));
                    assertThat(memory.get("auto-1")).hasSize(2);
                    Document head = context.getBean(MongoClient.class).getDatabase("autoconfigured")
                            .getCollection("conversations").find(new Document("sessionId", "auto-1")).first();
                    assertThat(head).isNotNull();
                    assertThat(head.getString("language")).isEqualTo("fr");
                    assertThat(context.getBean(ChatMemoryRepository.class).findConversationIds()).containsExactly("auto-1");
                });
    }

    @Test
    void keyProviderBean_turnsEncryptionOn() {
        byte[] kek = new byte[LocalKeyProvider.KEY_BYTES];
        withMongoClient().withBean(KeyProvider.class, () -> LocalKeyProvider.of("boot", kek))
                .withPropertyValues("conversation-store.database=encrypted").run(context -> {
                    assertThat(context).hasNotFailed();
                    ChatMemory memory = context.getBean(ChatMemory.class);
                    memory.add("enc-1", List.of(new UserMessage("a secret"), new AssistantMessage("kept")));
                    assertThat(memory.get("enc-1")).extracting(m -> m.getText()).containsExactly("a secret", "kept");
                    Document head = context.getBean(MongoClient.class).getDatabase("encrypted")
                            .getCollection("conversations").find(new Document("sessionId", "enc-1")).first();
                    assertThat(head.toJson()).doesNotContain("a secret").contains("dataKeyId");
                });
    }

    @Test
    void meterRegistryAndOpenTelemetryBeans_getTheStoresMetersAndSpans() {
        io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter spans =
                io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
        io.opentelemetry.sdk.OpenTelemetrySdk otel = io.opentelemetry.sdk.OpenTelemetrySdk.builder()
                .setTracerProvider(io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
                        .addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(spans)).build())
                .build();
        withMongoClient().withPropertyValues("conversation-store.database=observed")
                .withBean(io.micrometer.core.instrument.MeterRegistry.class,
                        io.micrometer.core.instrument.simple.SimpleMeterRegistry::new)
                .withBean(io.opentelemetry.api.OpenTelemetry.class, () -> otel)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    context.getBean(ChatMemory.class).add("observed-1", List.of(new UserMessage("bonjour")));

                    io.micrometer.core.instrument.MeterRegistry registry =
                            context.getBean(io.micrometer.core.instrument.MeterRegistry.class);
                    assertThat(registry.get("conversation.store.append").timer().count()).isEqualTo(1);
                    assertThat(spans.getFinishedSpanItems()).extracting(s -> s.getName()).contains("appendMessages");
                });
        withMongoClient().run(context -> assertThat(context).doesNotHaveBean(
                io.github.conversationstore.observability.MicrometerStoreListener.class));
    }

    @Test
    void properties_defaults() {
        withMongoClient().run(context -> {
            ConversationStoreProperties properties = context.getBean(ConversationStoreProperties.class);
            assertThat(properties.database()).isEqualTo("conversation_store");
            assertThat(properties.collection()).isEqualTo("conversations");
            assertThat(properties.language()).isEqualTo("und");
            assertThat(properties.maxMessages()).isEqualTo(20);
            assertThat(properties.operationTimeout()).isEqualTo(Duration.ofSeconds(10));
            assertThat(properties.expireAfterInactivity()).isZero();
            assertThat(properties.omitLargeMedia()).isFalse();
        });
    }

    @Test
    void applicationBeans_autoConfigurationBacksOff() {
        ChatMemory own = MessageWindowChatMemory.builder().build();
        withMongoClient()
                .withBean(ConversationStore.class, InMemoryConversationStore::create)
                .withBean(ChatMemory.class, () -> own)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(ConversationStore.class)).isInstanceOf(InMemoryConversationStore.class);
                    assertThat(context.getBean(ChatMemory.class)).isSameAs(own);
                    // the repository is still ours, on the application's store, which lists the ids
                    ChatMemoryRepository repository = context.getBean(ChatMemoryRepository.class);
                    assertThat(repository).isInstanceOf(ConversationStoreChatMemoryRepository.class);
                    context.getBean(ConversationStore.class).appendMessages("own-store", "en",
                            java.util.List.of(io.github.conversationstore.Message.user("hi")));
                    assertThat(repository.findConversationIds()).containsExactly("own-store");
                });
        withMongoClient().withBean(ChatMemoryRepository.class, InMemoryChatMemoryRepository::new).run(context ->
                assertThat(context.getBean(ChatMemoryRepository.class)).isInstanceOf(InMemoryChatMemoryRepository.class));
    }

    @Test
    void noMongoClient_springAiDefaultsStay() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(ConversationStore.class);
            assertThat(context.getBean(ChatMemory.class)).isInstanceOf(MessageWindowChatMemory.class);
            assertThat(context.getBean(ChatMemoryRepository.class)).isInstanceOf(InMemoryChatMemoryRepository.class);
        });
    }

    @Test
    void applicationStoreWithoutMongoClient_getsTheChatMemory() {
        runner.withBean(ConversationStore.class, InMemoryConversationStore::create).run(context -> {
            assertThat(context.getBean(ChatMemory.class)).isInstanceOf(ConversationStoreChatMemory.class);
            assertThat(context.getBean(ChatMemoryRepository.class)).isInstanceOf(ConversationStoreChatMemoryRepository.class);
        });
    }

    @Test
    void badProperty_contextFailsNamingIt() {
        withMongoClient().withPropertyValues("conversation-store.language=english").run(context ->
                assertThat(context).hasFailed().getFailure().hasStackTraceContaining("language"));
    }

    @Test
    void importsFile_listsBothAutoConfigurations() throws IOException {
        String imports = Files.readString(Path.of("../conversation-store-spring-ai/src/main/resources/META-INF/spring/"
                + "org.springframework.boot.autoconfigure.AutoConfiguration.imports"));

        assertThat(imports.lines()).containsExactly(ConversationStoreAutoConfiguration.class.getName(),
                ConversationStoreChatMemoryAutoConfiguration.class.getName());
    }
}
