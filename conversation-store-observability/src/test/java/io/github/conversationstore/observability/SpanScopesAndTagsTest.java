package io.github.conversationstore.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import io.github.conversationstore.testing.ForwardingConversationStore;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * Review 3 of the bindings: scopes left current on the caller's thread, spans that do not nest, and
 * tag values that are empty or change from one JVM to the next.
 */
class SpanScopesAndTagsTest {

    private static String nestedArguments(int depth) {
        return "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
    }

    /**
     * A model that answers with deeply nested tool-call arguments crashes the turn with a
     * StackOverflowError (see the core's ListenerAndTurnEndTest); no Turn event follows the
     * TurnStart, so the OpenTelemetry binding never closes the turn's Scope: the dead turn's span
     * stays current on the caller's thread (a pooled request thread), is never ended (never
     * exported), and becomes the parent of whatever that thread does next, here an unrelated append
     * of another request; the Micrometer binding's turn.active never goes back to 0.
     */
    @Test
    void turnThatDiesWithAnError_leavesItsSpanCurrentOnTheThread_andTheTurnActiveForever() {
        Tool tool = Tool.of(new ToolSpec("lookup", "Looks up.", "{\"type\":\"object\"}"), call -> ToolOutput.text("ok"));
        String nested = nestedArguments(20_000);
        try (Telemetry t = new Telemetry();
                InMemoryConversationStore store = InMemoryConversationStore.builder().listener(t.meters).listener(t.spans).build();
                TurnService turns = TurnService.builder(store).tools(tool).listener(t.meters).listener(t.spans)
                        .provider(r -> Reply.of(new Part.ToolCall("c1", "lookup", nested))).build()) {
            try {
                turns.respond("s", "es", "hola", "t1");
            } catch (Throwable expected) {
                // a StackOverflowError
            }
            SpanContext leftCurrent = Span.current().getSpanContext();
            // the thread's next, unrelated work (another request on a pooled thread)
            store.appendMessages("other-session", "es", List.of(Message.user("hi")));

            SpanData append = t.spans("appendMessages").stream().reduce((a, b) -> b).orElseThrow();
            SoftAssertions.assertSoftly(soft -> {
                soft.assertThat(leftCurrent.isValid())
                        .as("no span current on the caller's thread after respond threw; found %s", leftCurrent).isFalse();
                soft.assertThat(append.getParentSpanContext().isValid())
                        .as("an append after the turn is no child of the dead turn's span; parent %s",
                                append.getParentSpanContext()).isFalse();
                soft.assertThat(t.spans("invoke_agent")).as("the failed turn's span is ended and exported").hasSize(1);
                soft.assertThat(t.registry.get(MicrometerStoreListener.TURN_ACTIVE).longTaskTimer().activeTasks())
                        .as("turn.active back to 0").isZero();
            });
        } finally {
            Context.root().makeCurrent(); // do not leave the leaked context to the next test on this thread
        }
    }

    /**
     * Two listeners that make a context current at TurnStart (two OpenTelemetryStoreListener
     * instances, say one per SDK or the auto-configured one plus the application's): the core calls
     * onTurn in the same order as onTurnStart, so the scopes are closed first-in first-out instead
     * of last-in first-out, and after the turn the thread is left with a turn's span current.
     */
    @Test
    void twoSpanListeners_closeTheirScopesOutOfOrder_andLeaveAContextCurrent() {
        try (Telemetry a = new Telemetry(); Telemetry b = new Telemetry();
                InMemoryConversationStore store = InMemoryConversationStore.create();
                TurnService turns = TurnService.builder(store).provider(r -> Reply.of("hi"))
                        .listener(a.spans).listener(b.spans).build()) {
            turns.respond("s", "es", "hola", "t1");
            assertThat(Span.current().getSpanContext().isValid())
                    .as("nothing current on the thread after the turn ended; found %s", Span.current().getSpanContext())
                    .isFalse();
        } finally {
            Context.root().makeCurrent(); // do not leave the leaked context to the next test on this thread
        }
    }

    /**
     * The turn's span is current on the caller's thread only; the provider and the tools run on the
     * turn service's own threads, where no context is current: a provider's own instrumentation
     * (its HTTP client's spans, Spring AI's chat observation) and a tool's work start new traces
     * instead of nesting under invoke_agent. A tool that reads the conversation through the store
     * produces a readMessages span that is a root of another trace.
     */
    @Test
    void providerAndToolThreads_seeNoTurnContext_soTheirSpansDoNotNest() {
        AtomicReference<SpanContext> seenByProvider = new AtomicReference<>();
        AtomicReference<SpanContext> seenByTool = new AtomicReference<>();
        try (Telemetry t = new Telemetry();
                InMemoryConversationStore store = InMemoryConversationStore.builder().listener(t.spans).build()) {
            Tool history = Tool.of(new ToolSpec("history", "Reads the conversation.", "{\"type\":\"object\"}"), call -> {
                seenByTool.set(Span.current().getSpanContext());
                store.readMessages(call.sessionId(), 0, 10);
                return ToolOutput.text("read");
            });
            AtomicInteger calls = new AtomicInteger();
            ReplyProvider model = r -> {
                seenByProvider.compareAndSet(null, Span.current().getSpanContext());
                return calls.getAndIncrement() == 0 ? Reply.of(new Part.ToolCall("c1", "history", "{}")) : Reply.of("done");
            };
            try (TurnService turns = TurnService.builder(store).provider(model).tools(history).listener(t.spans).build()) {
                turns.respond("s", "es", "hola", "t1");
            }
            SpanData turn = t.spans("invoke_agent").get(0);
            List<SpanData> reads = t.spans("readMessages");
            SoftAssertions.assertSoftly(soft -> {
                soft.assertThat(seenByProvider.get().getSpanId()).as("the provider runs under the turn's span")
                        .isEqualTo(turn.getSpanId());
                soft.assertThat(seenByTool.get().getTraceId()).as("the tool runs in the turn's trace")
                        .isEqualTo(turn.getTraceId());
                soft.assertThat(reads).as("the tool's read is in the turn's trace").isNotEmpty()
                        .allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(turn.getTraceId()));
            });
        }
    }

    /**
     * Outcomes are "the simple class name of the exception", and StoreListener.outcome() falls back
     * to "Exception" for a null name, but getSimpleName() is never null: it is "" for an anonymous
     * class. A failure thrown as an anonymous exception (here by an application's store decorator)
     * gives outcome="" on the meters and error.type="" on the span.
     */
    @Test
    void anonymousExceptionClass_givesAnEmptyOutcomeTagAndErrorType() {
        try (Telemetry t = new Telemetry()) {
            ConversationStore failing = new ForwardingConversationStore(InMemoryConversationStore.create()) {
                @Override
                public AppendResult appendMessages(AppendRequest request) {
                    throw new IllegalStateException("quota exceeded") {};
                }
            };
            try (TurnService turns = TurnService.builder(failing).provider(r -> Reply.of("hi"))
                    .listener(t.meters).listener(t.spans).build()) {
                try {
                    turns.respond("s", "es", "hola", "t1");
                } catch (IllegalStateException expected) {
                    // the decorator's failure
                }
            }
            assertThat(t.registry.find(MicrometerStoreListener.TURN).timers())
                    .flatExtracting(timer -> timer.getId().getTags()).filteredOn(tag -> tag.getKey().equals("outcome"))
                    .allSatisfy(tag -> assertThat(tag.getValue()).as("outcome tag").isNotEmpty());
            assertThat(t.spans("invoke_agent")).singleElement().satisfies(s ->
                    assertThat(Telemetry.attribute(s, OpenTelemetryStoreListener.ERROR_TYPE)).as("error.type").isNotEmpty());
        }
    }

    /**
     * A provider given as a lambda (ReplyProvider is a functional interface) is named by its
     * default name(), the simple class name of a hidden class such as
     * "SpanScopesAndTagsTest$$Lambda/0x00007f...": its address changes from one JVM start to the
     * next, so every deployment makes a new provider tag value (a new series of
     * conversation.store.provider.call, .tokens, .retries) and a new gen_ai.provider.name.
     */
    @Test
    void lambdaProvider_isTaggedWithAPerJvmHiddenClassName() {
        try (Telemetry t = new Telemetry();
                InMemoryConversationStore store = InMemoryConversationStore.create();
                TurnService turns = TurnService.builder(store).provider(r -> Reply.of("hi")).listener(t.meters).build()) {
            turns.respond("s", "es", "hola", "t1");
            assertThat(t.registry.find(MicrometerStoreListener.PROVIDER_CALL).timers())
                    .flatExtracting(timer -> timer.getId().getTags()).filteredOn(tag -> tag.getKey().equals("provider"))
                    .singleElement().satisfies(tag -> assertThat(tag.getValue()).as("a provider name stable across restarts")
                            .doesNotContain("$$Lambda").doesNotContain("/0x"));
        }
    }
}
