package io.github.conversationstore.koog;

import static org.assertj.core.api.Assertions.assertThat;

import ai.koog.prompt.message.Message;
import com.mongodb.client.MongoClient;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.ShardKeyChecker;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every command the chat history provider's calls send carries the documented shard key of its
 * collection (docs/SHARDING.md), judged by the core's {@link ShardKeyChecker}: stores of growing
 * prompts, a list never seen (matched by content) and loads, on tiny heads so that moves happen.
 */
class ShardKeyTargetingTest {

    @Test
    void everyCommandOfTheProvider_carriesTheShardKeyOrIsAllowed() {
        ShardKeyChecker checker = new ShardKeyChecker();
        try (EmbeddedMongo server = new EmbeddedMongo(); MongoClient client = server.client(checker)) {
            try (MongoConversationStore store = MongoConversationStore.builder().client(client).database("koog")
                    .maxHeadMessages(4).maxHeadBytes(4096).build()) {
                ConversationStoreChatHistoryProvider provider = ConversationStoreChatHistoryProvider.builder(store)
                        .window(3).build();
                checker.operation("store and load");
                List<Message> prompt = new ArrayList<>(List.of(ChatHistoryProviderTest.system("Be brief.")));
                provider.storeMessages("c1", prompt);
                for (int i = 0; i < 6; i++) {
                    prompt = new ArrayList<>(provider.loadMessages("c1"));
                    prompt.add(ChatHistoryProviderTest.user("q" + i));
                    prompt.add(ChatHistoryProviderTest.assistant("a" + i));
                    provider.storeMessages("c1", prompt);
                }
                checker.operation("store of a list never seen");
                List<Message> copies = new ArrayList<>();
                for (Message m : prompt) {
                    copies.add(KoogCodec.toKoog(KoogCodec.toStored(m)));
                }
                copies.add(ChatHistoryProviderTest.user("again"));
                ConversationStoreChatHistoryProvider.builder(store).build().storeMessages("c1", copies);
                assertThat(store.findConversation("c1").orElseThrow().messageCount()).isEqualTo(14);
            }
        }
        System.out.println("Commands seen, by operation:\n" + checker.reportByOperation());
        assertThat(checker.violations()).isEmpty();
        assertThat(checker.summary().keySet()).anyMatch(k -> k.startsWith("targeted: findAndModify"));
    }
}
