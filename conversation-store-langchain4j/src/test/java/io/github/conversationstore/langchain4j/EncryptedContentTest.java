package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Owner;
import io.github.conversationstore.testing.RawDocuments;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the database holds in clear after the adapter wrote through an encrypted store: no content. */
class EncryptedContentTest {
    private static final List<String> CANARIES = List.of("CANARY-USER-1a2b", "CANARY-ARGS-3c4d", "CANARY-RESULT-5e6f",
            "CANARY-ANSWER-7a8b");

    @Test
    void storedThroughTheMemoryStore_contentIsSealed_andReadsBackWhole() {
        String database = Stores.newDatabase();
        try (MongoClient client = MongoClients.create(Stores.server().connectionString());
                ConversationStore store = MongoConversationStore.builder().client(client).database(database)
                        .encryption(Stores.keys()).build()) {
            ConversationStoreChatMemoryStore memoryStore = ConversationStoreChatMemoryStore.builder().store(store)
                    .owner(id -> Owner.of("app", "ana")).build();
            ToolExecutionRequest call = ToolExecutionRequest.builder().id("call_1").name("lookup")
                    .arguments("{\"q\":\"" + CANARIES.get(1) + "\"}").build();
            List<ChatMessage> turn = List.of(
                    UserMessage.from("Where is " + CANARIES.get(0) + "?"),
                    AiMessage.from(call),
                    ToolExecutionResultMessage.from(call, CANARIES.get(2)),
                    AiMessage.from("It is " + CANARIES.get(3)));
            memoryStore.updateMessages("sealed-1", turn);

            assertThat(RawDocuments.containing(client.getDatabase(database), CANARIES)).isEmpty();
            assertThat(memoryStore.getMessages("sealed-1")).containsExactlyElementsOf(turn);
            assertThat(store.listConversations(Owner.of("app", "ana"), null, 10)).hasSize(1);
        }
    }
}
