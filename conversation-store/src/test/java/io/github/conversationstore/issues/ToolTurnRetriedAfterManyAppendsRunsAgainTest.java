package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.TurnResult;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolInvocation;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 20, item 6: a completed tool turn retried by its id after more than 2,048 later appends ran
 * again in full (provider asked twice more, tool run again, user message and reply stored twice).
 * Its user message is appended so that its id is recognized however many appends came since, and
 * the completed turn is replayed.
 */
class ToolTurnRetriedAfterManyAppendsRunsAgainTest {

    static java.util.stream.Stream<Named<Supplier<ConversationStore>>> stores() {
        return BothStores.both();
    }

    @ParameterizedTest
    @MethodSource("stores")
    void respond_completedToolTurnRetriedAfter2100Appends_replayedAndNothingRunOrStoredAgain(
            Supplier<ConversationStore> factory) {
        AtomicInteger toolRuns = new AtomicInteger();
        AtomicInteger providerCalls = new AtomicInteger();
        Tool lookup = Tool.of(new ToolSpec("lookup", "Looks up.", "{\"type\":\"object\"}"), invocation -> {
            toolRuns.incrementAndGet();
            return ToolOutput.text("found");
        });
        ReplyProvider model = request -> {
            providerCalls.incrementAndGet();
            return request.steps().isEmpty()
                    ? new Reply(List.of(new Part.ToolCall("c1", "lookup", "{}")), Map.of(), TokenUsage.UNKNOWN, Map.of())
                    : Reply.of("done");
        };
        try (ConversationStore store = factory.get();
                TurnService turns = TurnService.builder(store).provider(model).tools(lookup).build()) {
            TurnResult first = turns.respond("s", "en", "look up", "t1");
            for (int i = 0; i < 2100; i++) {
                store.appendMessages(AppendRequest.builder("s", "en").messages(Message.user("m" + i)).build());
            }

            TurnResult retried = turns.respond("s", "en", "look up", "t1");

            assertThat(retried.replayed()).isTrue();
            assertThat(retried.reply()).isEqualTo(first.reply());
            assertThat(toolRuns.get()).isEqualTo(1);
            assertThat(providerCalls.get()).isEqualTo(2);
            assertThat(store.readMessages("s", 0, 10_000)).hasSize(4 + 2100);
        }
    }
}
