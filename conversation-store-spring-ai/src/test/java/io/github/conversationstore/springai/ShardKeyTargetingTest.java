package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.ShardKeyChecker;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * Every command the Spring AI adapter's calls send carries the documented shard key of its
 * collection (docs/SHARDING.md), judged by the core's {@link ShardKeyChecker}: the memory's add,
 * get and clear, the repository's listing, read, save and delete, on tiny heads so moves happen.
 */
class ShardKeyTargetingTest {

    @Test
    void everyCommandOfTheAdapter_carriesTheShardKeyOrIsAllowed() {
        ShardKeyChecker checker = new ShardKeyChecker();
        try (EmbeddedMongo server = new EmbeddedMongo(); MongoClient client = server.client(checker)) {
            try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("springai")
                    .maxHeadMessages(4).maxHeadBytes(4096).build()) {
                ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder(store).build();
                memory.add("c1", List.of(new SystemMessage("be brief"), new UserMessage("hola")));
                for (int i = 0; i < 6; i++) {
                    memory.add("c1", List.of(new AssistantMessage("buenas " + i), new UserMessage("otra " + i)));
                }
                assertThat(memory.get("c1")).isNotEmpty();
                ConversationStoreChatMemoryRepository repository = ConversationStoreChatMemoryRepository.builder(store).build();
                repository.saveAll("c2", List.of(new UserMessage("q"), new AssistantMessage("a")));
                repository.saveAll("c2", List.of(new UserMessage("q"), new AssistantMessage("a"), new UserMessage("q2")));
                assertThat(repository.findConversationIds()).contains("c1", "c2");
                assertThat(repository.findByConversationId("c2")).hasSize(3);
                repository.deleteByConversationId("c2");
                memory.clear("c1");
                assertThat(memory.get("c1")).isEmpty();
            }
        }
        System.out.println("Commands seen, by verdict:\n" + checker.report());
        assertThat(checker.violations()).isEmpty();
        assertThat(checker.summary().keySet()).anyMatch(k -> k.startsWith("targeted: findAndModify"))
                .anyMatch(k -> k.contains("(listing)"));
    }
}
