package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.LocalKeyProvider;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Owner;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.RawDocuments;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * The whole adapter suite on an encrypted Mongo store (a data key per conversation), and what the
 * database holds in clear after the adapter wrote through it: none of the conversation's content.
 */
class EncryptedEmbeddedMongoSpringAiAdapterTest extends AbstractSpringAiAdapterTest {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static final List<String> CANARIES = List.of("CANARY-USER-1a2b", "CANARY-ARGS-3c4d", "CANARY-RESULT-5e6f",
            "CANARY-ANSWER-7a8b", "CANARY-META-9c0d");
    private static EmbeddedMongo server;
    private static MongoClient client;
    private String database;

    @BeforeAll
    static void start() {
        server = new EmbeddedMongo();
        client = MongoClients.create(server.connectionString());
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    @Override
    protected ConversationStore newStore() {
        database = "encrypted" + DATABASES.incrementAndGet();
        byte[] kek = new byte[LocalKeyProvider.KEY_BYTES];
        Arrays.fill(kek, (byte) 5);
        return MongoConversationStore.builder().client(client).database(database)
                .encryption(LocalKeyProvider.of("adapter-kek", kek)).build();
    }

    @Test
    void savedThroughTheMemory_contentIsSealed_andReadsBackWhole() {
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder(store).owner(Owner.of("app", "ana")).build();
        List<Message> turn = List.of(
                new UserMessage("Where is " + CANARIES.get(0) + "?"),
                AssistantMessage.builder().content("")
                        .toolCalls(List.of(new AssistantMessage.ToolCall("call_1", "function", "lookup",
                                "{\"q\":\"" + CANARIES.get(1) + "\"}")))
                        .build(),
                ToolResponseMessage.builder()
                        .responses(List.of(new ToolResponseMessage.ToolResponse("call_1", "lookup", "\"" + CANARIES.get(2) + "\"")))
                        .build(),
                AssistantMessage.builder().content("It is " + CANARIES.get(3)).properties(Map.of("note", CANARIES.get(4)))
                        .build());
        memory.add("sealed-1", turn);

        assertThat(RawDocuments.containing(client.getDatabase(database), CANARIES)).isEmpty();
        List<Message> back = memory.get("sealed-1");
        assertThat(back).hasSize(4);
        assertThat(back.get(0).getText()).contains(CANARIES.get(0));
        assertThat(((AssistantMessage) back.get(1)).getToolCalls().get(0).arguments()).contains(CANARIES.get(1));
        assertThat(((ToolResponseMessage) back.get(2)).getResponses().get(0).responseData()).contains(CANARIES.get(2));
        assertThat(back.get(3).getText()).contains(CANARIES.get(3));
        assertThat(store.listConversations(Owner.of("app", "ana"), null, 10)).hasSize(1);
    }
}
