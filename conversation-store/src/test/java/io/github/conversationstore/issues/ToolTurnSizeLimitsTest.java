package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.mongodb.client.MongoClient;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.ReplyFailedException;
import io.github.conversationstore.Role;
import io.github.conversationstore.TurnRequest;
import io.github.conversationstore.TurnResult;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import io.github.conversationstore.testing.FaultInjectingProxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Adversarial review: turns whose steps break a store limit, and a lost reply of a step append. */
class ToolTurnSizeLimitsTest {
    static Stream<Named<Supplier<ConversationStore>>> stores() {
        return BothStores.both();
    }

    /**
     * A tool returns 300 KB (a fetched web page): its result message is over maxMessageBytes
     * (256 KiB). The turn fails with a raw IllegalArgumentException from the store's size check
     * (not a ReplyFailedException), leaving the call unanswered; every retry with the same turn id
     * runs the tool again and fails the same way, so the turn can never finish. Expected: the
     * result is stored in a form that fits (an error result, or truncated) and the model goes on;
     * at least a ReplyFailedException that says so.
     */
    @ParameterizedTest
    @MethodSource("stores")
    void toolOutputOverTheMessageLimitDoesNotWedgeTheTurn(Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            AtomicInteger runs = new AtomicInteger();
            Tool fetch = Tool.of(new ToolSpec("fetch", "Fetches a page.", "{\"type\":\"object\"}"), invocation -> {
                runs.incrementAndGet();
                return ToolOutput.text("x".repeat(300 * 1024));
            });
            ReplyProvider model = request -> request.steps().isEmpty()
                    ? new Reply(List.of(new Part.ToolCall("c1", "fetch", "{}")), Map.of(), TokenUsage.UNKNOWN, Map.of())
                    : Reply.of("summary");
            try (TurnService turns = TurnService.builder(store).provider(model).tools(fetch).build()) {
                for (int attempt = 0; attempt < 2; attempt++) {
                    assertThatCode(() -> {
                        try {
                            turns.respond(new TurnRequest("s", "en", "read the page", "t1"));
                        } catch (ReplyFailedException clear) {
                            // acceptable: a clear, turn-level failure
                        }
                    }).as("attempt " + attempt).doesNotThrowAnyException();
                }
            }
        }
    }

    /**
     * The model's final answer is longer than maxTextBytes (64 KiB, about 16k tokens): the store's
     * check throws a raw IllegalArgumentException out of respond(), after the provider was paid
     * for; every retry calls the model again. Expected a ReplyFailedException ("unusable reply"),
     * as for any other reply the store cannot take.
     */
    @ParameterizedTest
    @MethodSource("stores")
    void replyOverTheTextLimitIsAReplyFailure(Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            ReplyProvider model = request -> Reply.of("y".repeat(70 * 1024));
            try (TurnService turns = TurnService.builder(store).provider(model).build()) {
                assertThatCode(() -> {
                    try {
                        turns.respond(new TurnRequest("s", "en", "write a lot", "t1"));
                    } catch (ReplyFailedException clear) {
                        // expected
                    }
                }).doesNotThrowAnyException();
            }
        }
    }

    /**
     * The reply of the append of a model's answer is lost after the server applied it (the store
     * retries and finds the append). If the answer holds a lone surrogate (an output cut in half an
     * emoji), the store's own check compares what it read back (U+FFFD) with what it wrote and
     * throws AppendConflictException for its own write: the turn fails, and its retry replays a
     * reply that differs from what the model said.
     */
    @Test
    void lostReplyOfAStepAppendWithALoneSurrogateResolvesAsItsOwnWrite() throws Exception {
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(BothStores.server().port());
                MongoClient client = proxy.client();
                ConversationStore store = MongoConversationStore.builder().client(client).database("review")
                        .collection("lost" + System.nanoTime()).build()) {
            ReplyProvider model = request -> {
                proxy.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
                return Reply.of("Here you go \uD83D");
            };
            try (TurnService turns = TurnService.builder(store).provider(model).build()) {
                TurnResult[] result = new TurnResult[1];
                assertThatCode(() -> result[0] = turns.respond(new TurnRequest("s", "en", "hi", "t1")))
                        .doesNotThrowAnyException();
                assertThat(proxy.injected()).isEqualTo(1);
                assertThat(result[0].reply().message().role()).isEqualTo(Role.ASSISTANT);
            }
        }
    }

    /** Control: the same lost reply with a well-formed answer resolves fine. */
    @Test
    void lostReplyOfAStepAppendResolves() throws Exception {
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(BothStores.server().port());
                MongoClient client = proxy.client();
                ConversationStore store = MongoConversationStore.builder().client(client).database("review")
                        .collection("lost" + System.nanoTime()).build()) {
            ReplyProvider model = request -> {
                proxy.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
                return Reply.of("Here you go");
            };
            try (TurnService turns = TurnService.builder(store).provider(model).build()) {
                TurnResult result = turns.respond(new TurnRequest("s", "en", "hi", "t1"));
                assertThat(proxy.injected()).isEqualTo(1);
                assertThat(result.replayed()).isFalse();
                assertThat(store.readMessages("s", 0, 10)).hasSize(2);
            }
        }
    }
}
