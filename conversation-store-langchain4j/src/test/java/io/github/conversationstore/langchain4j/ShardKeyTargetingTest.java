package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.ShardKeyChecker;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every command the LangChain4j adapter's calls send carries the documented shard key of its
 * collection (docs/SHARDING.md), judged by the core's {@link ShardKeyChecker}: the memory's add,
 * messages, set and clear, the memory store's get, update and delete, on tiny heads so moves happen.
 */
class ShardKeyTargetingTest {

    @Test
    void everyCommandOfTheAdapter_carriesTheShardKeyOrIsAllowed() {
        ShardKeyChecker checker = new ShardKeyChecker();
        try (EmbeddedMongo server = new EmbeddedMongo(); MongoClient client = server.client(checker)) {
            try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("lc4j")
                    .maxHeadMessages(4).maxHeadBytes(4096).build()) {
                ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder().store(store).id("m1").build();
                memory.add(SystemMessage.from("be brief"));
                for (int i = 0; i < 6; i++) {
                    memory.add(UserMessage.from("hola " + i));
                    memory.add(AiMessage.from("buenas " + i));
                }
                assertThat(memory.messages()).isNotEmpty();
                memory.clear();
                assertThat(memory.messages()).isEmpty();
                ConversationStoreChatMemoryStore memories = ConversationStoreChatMemoryStore.builder().store(store).build();
                memories.updateMessages("m2", List.of(UserMessage.from("q"), AiMessage.from("a")));
                memories.updateMessages("m2", List.of(UserMessage.from("q"), AiMessage.from("a"), UserMessage.from("q2")));
                assertThat(memories.getMessages("m2")).hasSize(3);
                memories.deleteMessages("m2");
                assertThat(memories.getMessages("m2")).isEmpty();
            }
        }
        System.out.println("Commands seen, by verdict:\n" + checker.report());
        assertThat(checker.violations()).isEmpty();
        assertThat(checker.summary().keySet()).anyMatch(k -> k.startsWith("targeted: findAndModify"));
    }
}
