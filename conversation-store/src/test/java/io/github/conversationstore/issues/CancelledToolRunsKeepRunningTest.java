package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.ReplyFailedException;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolInvocation;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, item 9: a tool that ignores interruption kept running after its timeouts; after three
 * timed-out attempts and one resume, six runs of one call ran at once and their threads leaked.
 * A run of a call never starts while an earlier run of the same call still runs in this service.
 */
class CancelledToolRunsKeepRunningTest {

    @Test
    void respond_hungToolIgnoringInterrupts_neverTwoRunsOfOneCallAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        AtomicInteger runs = new AtomicInteger();
        Tool hung = Tool.of(new ToolSpec("hang", "Hangs.", "{\"type\":\"object\"}"), invocation -> {
            runs.incrementAndGet();
            mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                while (true) {
                    try {
                        release.await();
                        return ToolOutput.text("done");
                    } catch (InterruptedException ignored) {
                        // a tool that does not stop when asked
                    }
                }
            } finally {
                running.decrementAndGet();
            }
        });
        ReplyProvider model = request -> request.steps().isEmpty()
                ? new Reply(List.of(new Part.ToolCall("c1", "hang", "{}")), Map.of(), TokenUsage.UNKNOWN, Map.of())
                : Reply.of("done");
        try (ConversationStore store = InMemoryConversationStore.create();
                TurnService turns = TurnService.builder(store).provider(model).tools(hung)
                        .toolTimeout(Duration.ofMillis(100)).maxToolAttempts(3).retryBackoff(Duration.ofMillis(5)).build()) {
            assertThatThrownBy(() -> turns.respond("s", "en", "go", "t1")).isInstanceOf(ReplyFailedException.class);
            assertThatThrownBy(() -> turns.respond("s", "en", "go", "t1")).isInstanceOf(ReplyFailedException.class);

            assertThat(mostAtOnce.get()).as("runs of one call at once").isEqualTo(1);
            assertThat(runs.get()).isEqualTo(1);

            release.countDown();
            assertThat(turns.respond("s", "en", "go", "t1").reply().text()).isEqualTo("done");
        } finally {
            release.countDown();
        }
    }
}
