package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.springai.testing.ConcurrentLoad;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.springai.testing.SpringAiLine;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;

/**
 * Two application instances (two MongoClients on one server), four threads each, one conversation,
 * with tool rounds: nothing lost, nothing doubled, every tool call right before its result.
 */
class TwoInstancesConcurrencyTest {
    static final int THREADS = 4;
    static final int TURNS = 20;

    /** Runs the load on two instances of a memory built on each instance's store; returns what was stored. */
    static List<StoredMessage> runOnTwoInstances(Function<ConversationStore, ChatMemory> memoryOn, boolean withTools,
            ConcurrentLoad.Plan[] plan) throws Exception {
        try (EmbeddedMongo server = new EmbeddedMongo();
                MongoClient first = MongoClients.create(server.connectionString());
                MongoClient second = MongoClients.create(server.connectionString());
                ConversationStore firstStore = MongoConversationStore.builder().client(first).database("load").build();
                ConversationStore secondStore = MongoConversationStore.builder().client(second).database("load").build()) {
            plan[0] = ConcurrentLoad.run(List.of(memoryOn.apply(firstStore), memoryOn.apply(secondStore)), THREADS, TURNS,
                    withTools, "shared");
            List<StoredMessage> all = new ArrayList<>();
            for (List<StoredMessage> page = firstStore.readMessages("shared", 0, 1_000); !page.isEmpty();
                    page = firstStore.readMessages("shared", all.size(), 1_000)) {
                all.addAll(page);
            }
            return all;
        }
    }

    static List<String> keys(List<StoredMessage> stored) {
        List<String> keys = new ArrayList<>();
        for (StoredMessage message : stored) {
            if (message.role() == Role.TOOL) {
                message.message().toolResults().forEach(r -> keys.add("result " + r.callId().substring(2)));
            } else {
                keys.add(message.text());
            }
        }
        return keys;
    }

    private static void assertToolPairsAdjacent(List<StoredMessage> stored) {
        for (int i = 0; i < stored.size(); i++) {
            for (Part.ToolCall call : stored.get(i).message().toolCalls()) {
                assertThat(stored.get(i + 1).role()).isEqualTo(Role.TOOL);
                assertThat(stored.get(i + 1).message().toolResults()).extracting(Part.ToolResult::callId)
                        .containsExactly(call.callId());
            }
        }
    }

    /**
     * The recommended setup: MessageWindowChatMemory's maxMessages above the repository's window, so
     * that it never trims (the repository already bounds what it reads).
     */
    @Test
    void messageWindowChatMemoryOnRepository_twoInstancesManyThreads_nothingLostOrDoubled() throws Exception {
        ConcurrentLoad.Plan[] plan = new ConcurrentLoad.Plan[1];
        List<StoredMessage> stored = runOnTwoInstances(store -> MessageWindowChatMemory.builder()
                .chatMemoryRepository(ConversationStoreChatMemoryRepository.builder(store).maxMessages(20).build())
                .maxMessages(40).build(), true, plan);

        ConcurrentLoad.Outcome outcome = ConcurrentLoad.judge(plan[0], keys(stored));
        System.out.println("conversation-store repository under MessageWindowChatMemory (40 over 20): " + outcome);
        assertThat(outcome.lost()).isZero();
        assertThat(outcome.doubled()).isZero();
        assertThat(outcome.failedAdds()).isZero();
        assertThat(stored).hasSize(2 * THREADS * TURNS * 4);
        assertToolPairsAdjacent(stored);
    }

    /**
     * Both windows 20: MessageWindowChatMemory trims every add. On 1.1 the trim drops only read
     * messages, never new ones. On 2.0 the trim moves its cut to the next user message and drops
     * the messages being added when none follows (an assistant's reply after a window of tool rounds
     * from other threads): those never reach the repository. Measured, asserted on 1.1 only.
     */
    @Test
    void messageWindowChatMemorySameWindowAsRepository_twoInstances_measured() throws Exception {
        ConcurrentLoad.Plan[] plan = new ConcurrentLoad.Plan[1];
        List<StoredMessage> stored = runOnTwoInstances(store -> MessageWindowChatMemory.builder()
                .chatMemoryRepository(ConversationStoreChatMemoryRepository.builder(store).maxMessages(20).build())
                .maxMessages(20).build(), true, plan);

        ConcurrentLoad.Outcome outcome = ConcurrentLoad.judge(plan[0], keys(stored));
        System.out.println("conversation-store repository under MessageWindowChatMemory (20 over 20, Spring AI "
                + (SpringAiLine.TWO ? "2.x" : "1.1.x") + "): " + outcome);
        assertThat(outcome.doubled()).isZero();
        if (!SpringAiLine.TWO) {
            assertThat(outcome.lost()).isZero();
        }
    }

    @Test
    void chatMemory_twoInstancesManyThreads_nothingLostOrDoubled() throws Exception {
        ConcurrentLoad.Plan[] plan = new ConcurrentLoad.Plan[1];
        List<StoredMessage> stored = runOnTwoInstances(store -> ConversationStoreChatMemory.builder(store).build(), true, plan);

        ConcurrentLoad.Outcome outcome = ConcurrentLoad.judge(plan[0], keys(stored));
        System.out.println("conversation-store chat memory: " + outcome);
        assertThat(outcome.lost()).isZero();
        assertThat(outcome.doubled()).isZero();
        assertThat(stored).hasSize(2 * THREADS * TURNS * 4);
        assertToolPairsAdjacent(stored);
    }
}
