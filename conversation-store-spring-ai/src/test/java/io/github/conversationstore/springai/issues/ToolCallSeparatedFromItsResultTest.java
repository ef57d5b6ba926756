package io.github.conversationstore.springai.issues;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.springai.ConversationStoreChatMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * Issue 18, Spring AI's own tool loop (user-controlled tool execution: {@code add(user)},
 * {@code add(call)}, {@code add(result)}, {@code add(answer)}): two application instances on one
 * conversation left the model's call without its own result in 1,084 of 1,200 turns, another
 * instance's message landing between the call and the result.
 */
class ToolCallSeparatedFromItsResultTest {
    static final int INSTANCES = 2;
    static final int THREADS_PER_INSTANCE = 2;
    static final int TURNS_PER_THREAD = 300;

    private static AssistantMessage call(String id) {
        return AssistantMessage.builder().content("").toolCalls(
                List.of(new AssistantMessage.ToolCall(id, "function", "weather", "{\"city\":\"Paris\"}"))).build();
    }

    private static ToolResponseMessage result(String id) {
        return ToolResponseMessage.builder()
                .responses(List.of(new ToolResponseMessage.ToolResponse(id, "weather", "sunny " + id))).build();
    }

    /** Calls in the store not followed directly by the tool message answering them. */
    static int separatedPairs(List<StoredMessage> stored) {
        int separated = 0;
        for (int i = 0; i < stored.size(); i++) {
            List<Part.ToolCall> calls = stored.get(i).message().toolCalls();
            if (calls.isEmpty()) {
                continue;
            }
            boolean answered = i + 1 < stored.size() && stored.get(i + 1).role() == Role.TOOL
                    && stored.get(i + 1).message().toolResults().get(0).callId().equals(calls.get(0).callId());
            separated += answered ? 0 : 1;
        }
        return separated;
    }

    @Test
    void twoInstances_userControlledToolLoop_noCallSeparatedFromItsResult() throws Exception {
        ConversationStore store = InMemoryConversationStore.create();
        List<ChatMemory> instances = new ArrayList<>();
        for (int i = 0; i < INSTANCES; i++) {
            instances.add(ConversationStoreChatMemory.builder(store).build());
        }
        ExecutorService pool = Executors.newFixedThreadPool(INSTANCES * THREADS_PER_INSTANCE);
        List<Future<?>> running = new ArrayList<>();
        for (int i = 0; i < INSTANCES; i++) {
            ChatMemory memory = instances.get(i);
            for (int t = 0; t < THREADS_PER_INSTANCE; t++) {
                String thread = "i" + i + "t" + t;
                running.add(pool.submit(() -> {
                    for (int n = 0; n < TURNS_PER_THREAD; n++) {
                        String id = thread + "n" + n;
                        memory.add("c", List.of(new UserMessage("weather? " + id)));
                        memory.get("c");
                        memory.add("c", List.of(call(id)));
                        memory.get("c");
                        memory.add("c", List.of(result(id)));
                        memory.get("c");
                        memory.add("c", List.of(new AssistantMessage("sunny " + id)));
                    }
                    return null;
                }));
            }
        }
        for (Future<?> future : running) {
            future.get();
        }
        pool.shutdown();

        List<StoredMessage> stored = new ArrayList<>();
        for (long from = 0; ; from += 10_000) {
            List<StoredMessage> page = store.readMessages("c", from, 10_000);
            stored.addAll(page);
            if (page.size() < 10_000) {
                break;
            }
        }
        int turns = INSTANCES * THREADS_PER_INSTANCE * TURNS_PER_THREAD;
        assertThat(stored).hasSize(4 * turns);
        assertThat(separatedPairs(stored)).as("calls separated from their results, of %d turns", turns).isZero();
    }

    @Test
    void heldCall_isVisibleToGetOfThatMemory_andStoredWithItsResult() {
        ConversationStore store = InMemoryConversationStore.create();
        ChatMemory memory = ConversationStoreChatMemory.builder(store).build();
        memory.add("c", List.of(new UserMessage("weather?")));
        AssistantMessage call = call("call_1");

        memory.add("c", List.of(call));
        List<Message> prompt = memory.get("c");

        assertThat(prompt).hasSize(2);
        assertThat(prompt.get(1)).isSameAs(call);
        assertThat(store.readMessages("c", 0, 10)).hasSize(1);

        memory.add("c", List.of(result("call_1")));
        assertThat(store.readMessages("c", 0, 10)).extracting(StoredMessage::role)
                .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL);
        assertThat(memory.get("c")).hasSize(3);
    }
}
