package io.github.conversationstore.springai.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * Several application instances (one ChatMemory each), several threads each, one conversation:
 * every thread runs turns as MessageChatMemoryAdvisor does (add the user message, then the reply),
 * optionally with a tool round (the call and its result in one add). A failed add is retried with
 * the same message objects, as an application would, up to 5 times.
 */
public final class ConcurrentLoad {
    private ConcurrentLoad() {}

    /** What a run wrote, keyed by what each message says. */
    public record Plan(List<String> expectedKeys, int failedAdds, int retries) {}

    /** The figures of a run: what was expected, found, lost and doubled. */
    public record Outcome(int expected, int stored, int lost, int doubled, int failedAdds, int retries) {
        @Override
        public String toString() {
            return "expected " + expected + ", stored " + stored + ", lost " + lost + ", doubled " + doubled
                    + ", adds failed after 5 tries " + failedAdds + ", retried adds " + retries;
        }
    }

    public static Plan run(List<ChatMemory> instances, int threadsPerInstance, int turnsPerThread, boolean withTools,
            String conversationId) throws Exception {
        List<String> expected = new ArrayList<>();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger retries = new AtomicInteger();
        int threads = instances.size() * threadsPerInstance;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> running = new ArrayList<>();
        for (int i = 0; i < instances.size(); i++) {
            for (int t = 0; t < threadsPerInstance; t++) {
                ChatMemory memory = instances.get(i);
                String thread = "i" + i + "t" + t;
                for (int n = 0; n < turnsPerThread; n++) {
                    String tag = thread + "n" + n;
                    expected.add("user " + tag);
                    if (withTools) {
                        expected.add("call " + tag);
                        expected.add("result " + tag);
                    }
                    expected.add("reply " + tag);
                }
                running.add(pool.submit(() -> {
                    start.await();
                    for (int n = 0; n < turnsPerThread; n++) {
                        String tag = thread + "n" + n;
                        add(memory, conversationId, List.of(new UserMessage("user " + tag)), failed, retries);
                        if (withTools) {
                            add(memory, conversationId, List.of(
                                    AssistantMessage.builder().content("call " + tag)
                                            .toolCalls(List.of(new AssistantMessage.ToolCall("c-" + tag, "function", "lookup", "{}")))
                                            .build(),
                                    ToolResponseMessage.builder()
                                            .responses(List.of(new ToolResponseMessage.ToolResponse("c-" + tag, "lookup", "ok")))
                                            .build()), failed, retries);
                        }
                        add(memory, conversationId, List.of(new AssistantMessage("reply " + tag)), failed, retries);
                    }
                    return null;
                }));
            }
        }
        start.countDown();
        for (Future<?> future : running) {
            future.get(5, TimeUnit.MINUTES);
        }
        pool.shutdown();
        return new Plan(expected, failed.get(), retries.get());
    }

    private static void add(ChatMemory memory, String conversationId, List<Message> messages, AtomicInteger failed,
            AtomicInteger retries) {
        for (int attempt = 1; ; attempt++) {
            try {
                memory.add(conversationId, messages);
                return;
            } catch (RuntimeException e) {
                if (attempt == 5) {
                    failed.incrementAndGet();
                    return;
                }
                retries.incrementAndGet();
            }
        }
    }

    /** Compares what was stored (one key per stored message) with the plan. */
    public static Outcome judge(Plan plan, List<String> storedKeys) {
        Map<String, Integer> counts = new HashMap<>();
        for (String key : storedKeys) {
            counts.merge(key, 1, Integer::sum);
        }
        Set<String> expected = new HashSet<>(plan.expectedKeys());
        int lost = 0;
        for (String key : expected) {
            if (!counts.containsKey(key)) {
                lost++;
            }
        }
        int doubled = 0;
        for (int count : counts.values()) {
            doubled += Math.max(0, count - 1);
        }
        return new Outcome(expected.size(), storedKeys.size(), lost, doubled, plan.failedAdds(), plan.retries());
    }
}
