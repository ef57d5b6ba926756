package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.springai.testing.ReplyBytes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** findConversationIds on a large collection: one small field per conversation, whatever the lengths. */
class MongoConversationIdsTest {
    private static final int CONVERSATIONS = 2_000;

    @Test
    void findConversationIds_manyConversations_readsOnlyTheirIds() {
        ReplyBytes bytes = new ReplyBytes();
        try (EmbeddedMongo server = new EmbeddedMongo();
                MongoClient client = MongoClients.create(MongoClientSettings.builder()
                        .applyConnectionString(new ConnectionString(server.connectionString()))
                        .addCommandListener(bytes).build());
                ConversationStore store = MongoConversationStore.builder().client(client).database("ids").build()) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < CONVERSATIONS; i++) {
                String id = String.format(Locale.ROOT, "c%05d", i);
                expected.add(id);
                store.appendMessages(id, "en", List.of(Message.user("hello " + i)));
            }
            ReadCostAtLengthTest.fill(store, "c00007", 2_000); // a long one reads like the others
            store.tryAcquireLease("lease-only", "en", "holder", Duration.ofMinutes(1)); // no conversation yet
            ConversationStoreChatMemoryRepository repository = ConversationStoreChatMemoryRepository.builder(store).build();

            List<List<String>> ids = new ArrayList<>();
            ReplyBytes.Cost cost = bytes.measure(() -> ids.add(repository.findConversationIds()));

            assertThat(ids.get(0)).containsExactlyElementsOf(expected);
            System.out.printf(Locale.ROOT, "findConversationIds: %,d ids in %d commands, %,d reply bytes (%.1f per id)%n",
                    ids.get(0).size(), cost.commands(), cost.replyBytes(), (double) cost.replyBytes() / ids.get(0).size());
            assertThat(cost.replyBytes() / ids.get(0).size()).isLessThan(80);
        }
    }

    @Test
    void findConversationIds_serverGone_storeException() {
        EmbeddedMongo server = new EmbeddedMongo();
        try (MongoClient client = MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(server.connectionString()))
                .applyToClusterSettings(b -> b.serverSelectionTimeout(200, java.util.concurrent.TimeUnit.MILLISECONDS))
                .build())) {
            ConversationStoreChatMemoryRepository repository = ConversationStoreChatMemoryRepository
                    .builder(MongoConversationStore.builder().client(client).database("ids")
                            .operationTimeout(Duration.ofSeconds(1)).build()).build();
            server.close();

            assertThatThrownBy(repository::findConversationIds).isInstanceOf(ConversationStoreUnavailableException.class);
        }
    }
}
