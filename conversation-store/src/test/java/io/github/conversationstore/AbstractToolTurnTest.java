package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolException;
import io.github.conversationstore.spi.ToolInvocation;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tool-using turns against every store: each step stored once, each completed call run once,
 * resumable by turn id from another store instance. {@link #first} and {@link #second} are two
 * stores over the same data (for MongoDB two clients, standing for two processes).
 */
abstract class AbstractToolTurnTest extends AbstractTwoStoreTest {
    private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"verb\":{\"type\":\"string\"}}}";


    /** Thrown by the step hook: the process "dies" there. */
    static final class Crash extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Crash(String step) {
            super("crash after: " + step);
        }
    }

    /** A tool that records every run by idempotency key. */
    static final class CountingTool implements Tool {
        final String name;
        final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        final List<ToolInvocation> invocations = new CopyOnWriteArrayList<>();
        volatile Function<ToolInvocation, ToolOutput> behaviour;

        CountingTool(String name, Function<ToolInvocation, ToolOutput> behaviour) {
            this.name = name;
            this.behaviour = behaviour;
        }

        @Override
        public ToolSpec spec() {
            return new ToolSpec(name, "Conjugates a Spanish verb.", SCHEMA);
        }

        @Override
        public ToolOutput run(ToolInvocation invocation) {
            runs.computeIfAbsent(invocation.idempotencyKey(), k -> new AtomicInteger()).incrementAndGet();
            invocations.add(invocation);
            return behaviour.apply(invocation);
        }

        int totalRuns() {
            return runs.values().stream().mapToInt(AtomicInteger::get).sum();
        }
    }

    static CountingTool conjugate() {
        return new CountingTool("conjugate", call -> ToolOutput.json("{\"yo\":\"voy\",\"call\":\"" + call.callId() + "\"}"));
    }

    /**
     * A model that asks for {@code calls} per step, for {@code toolSteps} steps, then answers with
     * what the results said. Deterministic in the request, as a resumed turn needs nothing more.
     */
    static final class ToolModel implements ReplyProvider {
        final List<ReplyRequest> requests = new CopyOnWriteArrayList<>();
        final int toolSteps;
        final List<String> toolNames;
        final String arguments;

        ToolModel(int toolSteps, List<String> toolNames, String arguments) {
            this.toolSteps = toolSteps;
            this.toolNames = toolNames;
            this.arguments = arguments;
        }

        @Override
        public Reply reply(ReplyRequest request) {
            requests.add(request);
            MessageModelContract.assertToolPairsWhole(numbered(request.conversation()));
            long done = request.steps().stream().filter(m -> m.role() == Role.ASSISTANT).count();
            if (done < toolSteps) {
                List<Part> parts = new ArrayList<>();
                parts.add(Part.Reasoning.of("step " + done, "sig-" + done));
                for (int i = 0; i < toolNames.size(); i++) {
                    parts.add(new Part.ToolCall("call-" + done + "-" + i, toolNames.get(i), arguments));
                }
                return new Reply(parts, Map.of(), new TokenUsage(10, 2), Map.of());
            }
            StringBuilder text = new StringBuilder("done:");
            request.steps().forEach(m -> m.message().toolResults().forEach(r -> text.append(' ').append(r.error() ? "error" : "ok")));
            return new Reply(List.of(Part.text(text.toString())), Map.of(), new TokenUsage(10, 5), Map.of());
        }

        private static List<StoredMessage> numbered(List<Message> messages) {
            List<StoredMessage> out = new ArrayList<>();
            for (int i = 0; i < messages.size(); i++) {
                out.add(new StoredMessage(i, messages.get(i)));
            }
            return out;
        }
    }

    private static TurnService.Builder turns(ConversationStore store, ReplyProvider provider, Tool... tools) {
        return TurnService.builder(store).provider(provider).tools(tools)
                .replyTimeout(Duration.ofSeconds(5)).toolTimeout(Duration.ofSeconds(5))
                .retryBackoff(Duration.ofMillis(5)).busyTimeout(Duration.ofSeconds(20));
    }

    private List<String> storedIds(String session) {
        return second.readMessages(session, 0, 1000).stream().map(m -> m.message().id()).toList();
    }

    @Test
    void respond_modelCallsTwoToolsThenAnswers_everyStepStoredOnceInOrder() {
        CountingTool conjugate = conjugate();
        CountingTool lookup = new CountingTool("lookup", call -> ToolOutput.text("found"));
        ToolModel model = new ToolModel(1, List.of("conjugate", "lookup"), "{\"verb\":\"ir\"}");
        try (TurnService service = turns(first, model, conjugate, lookup).build()) {
            TurnResult result = service.respond("s", "es", "conjugate ir", "t1");

            assertThat(storedIds("s")).containsExactly("t1:user", "t1:s1", "t1:s1:r0", "t1:s1:r1", "t1:reply");
            assertThat(result.reply().text()).isEqualTo("done: ok ok");
            assertThat(result.steps()).extracting(m -> m.message().id()).containsExactly("t1:s1", "t1:s1:r0", "t1:s1:r1");
            assertThat(result.usage()).isEqualTo(new TokenUsage(20, 7));
            assertThat(model.requests).hasSize(2);
            assertThat(model.requests.get(0).tools()).extracting(ToolSpec::name).containsExactly("conjugate", "lookup");
            assertThat(model.requests.get(1).steps()).hasSize(3);
            Message stored = second.readMessages("s", 2, 1).get(0).message();
            assertThat(stored.toolResults()).singleElement().satisfies(r -> {
                assertThat(r.callId()).isEqualTo("call-0-0");
                assertThat(r.json()).isTrue();
                assertThat(r.content()).contains("voy");
            });
            assertThat(second.readMessages("s", 1, 1).get(0).message().parts().get(0)).isEqualTo(Part.Reasoning.of("step 0", "sig-0"));
            assertThat(conjugate.runs).containsOnlyKeys("t1:s1:call-0-0");
            assertThat(lookup.totalRuns()).isEqualTo(1);
            MessageModelContract.assertToolPairsWhole(second.readMessages("s", 0, 100));
        }
    }

    @ParameterizedTest(name = "crash after: {0}")
    @ValueSource(strings = {TurnService.STEP_CALLS_STORED, TurnService.STEP_TOOL_RAN, TurnService.STEP_RESULT_STORED,
            TurnService.STEP_REPLY_STORED})
    void respond_crashAfterAStep_resumedByTurnIdFromAnotherStore_storesEachStepOnceAndRunsEachCompletedCallOnce(String point) {
        CountingTool conjugate = conjugate();
        ToolModel model = new ToolModel(2, List.of("conjugate"), "{\"verb\":\"ir\"}");
        AtomicInteger crashes = new AtomicInteger();
        try (TurnService crashing = turns(first, model, conjugate).hook(step -> {
                    if (step.equals(point) && crashes.getAndIncrement() == 0) {
                        throw new Crash(step);
                    }
                }).build();
                TurnService other = turns(second, model, conjugate).build()) {
            assertThatThrownBy(() -> crashing.respond("s", "es", "conjugate ir", "t1")).isInstanceOf(Crash.class);
            MessageModelContract.assertToolPairsWhole(second.promptWindow("s", 100));

            TurnResult resumed = other.respond("s", "es", "conjugate ir", "t1");

            assertThat(storedIds("s")).containsExactly("t1:user", "t1:s1", "t1:s1:r0", "t1:s2", "t1:s2:r0", "t1:reply");
            assertThat(resumed.reply().text()).isEqualTo("done: ok ok");
            assertThat(resumed.replayed()).isEqualTo(point.equals(TurnService.STEP_REPLY_STORED));
            // a call run again is one whose result was not stored: same idempotency key, never a new one
            assertThat(conjugate.runs).containsOnlyKeys("t1:s1:call-0-0", "t1:s2:call-1-0");
            assertThat(conjugate.runs.get("t1:s1:call-0-0").get()).isEqualTo(point.equals(TurnService.STEP_TOOL_RAN) ? 2 : 1);
            assertThat(conjugate.runs.get("t1:s2:call-1-0").get()).isEqualTo(1);
            // every step asked of the model once: a stored step is never asked for again
            assertThat(model.requests).hasSize(3);
            assertThat(storedIds("s")).doesNotHaveDuplicates();
            MessageModelContract.assertToolPairsWhole(second.readMessages("s", 0, 100));
        }
    }

    @Test
    void respond_toolFailsNotRetryably_errorResultStoredAndTheModelReadsIt() {
        CountingTool failing = new CountingTool("conjugate", call -> {
            throw new ToolException("unknown verb 'irr'", false, null);
        });
        ToolModel model = new ToolModel(1, List.of("conjugate"), "{\"verb\":\"irr\"}");
        try (TurnService service = turns(first, model, failing).build()) {
            TurnResult result = service.respond("s", "es", "conjugate irr", "t1");

            assertThat(result.reply().text()).isEqualTo("done: error");
            assertThat(result.steps().get(1).message().toolResults()).singleElement()
                    .satisfies(r -> assertThat(r.content()).isEqualTo("unknown verb 'irr'"))
                    .satisfies(r -> assertThat(r.error()).isTrue());
            assertThat(failing.totalRuns()).isEqualTo(1);
        }
    }

    @Test
    void respond_toolKeepsTimingOut_turnFailsRetryablyWithTheCallLeftOutOfWindows_thenResumesWithTheSameKey() {
        CountDownLatch never = new CountDownLatch(1);
        CountingTool tool = new CountingTool("conjugate", call -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ToolOutput.text("too late");
        });
        ToolModel model = new ToolModel(1, List.of("conjugate"), "{\"verb\":\"ir\"}");
        try (TurnService service = turns(first, model, tool).toolTimeout(Duration.ofMillis(100)).maxToolAttempts(2).build()) {
            assertThatThrownBy(() -> service.respond("s", "es", "conjugate ir", "t1"))
                    .isInstanceOf(ReplyFailedException.class)
                    .hasMessageContaining("conjugate").hasMessageContaining("2 attempt(s)").hasMessageContaining("same turn id")
                    .satisfies(e -> assertThat(((ReplyFailedException) e).isRetryable()).isTrue());
            assertThat(storedIds("s")).containsExactly("t1:user", "t1:s1");
            assertThat(second.promptWindow("s", 10)).extracting(m -> m.message().id()).containsExactly("t1:user");

            tool.behaviour = call -> ToolOutput.text("voy");
            TurnResult resumed = service.respond("s", "es", "conjugate ir", "t1");

            assertThat(resumed.reply().text()).isEqualTo("done: ok");
            assertThat(tool.runs).containsOnlyKeys("t1:s1:call-0-0");
            assertThat(tool.runs.get("t1:s1:call-0-0").get()).isEqualTo(3);
            assertThat(model.requests).hasSize(2);
        }
    }

    @Test
    void respond_providerFailsMidLoop_conversationValidAndResumeDoesNotRunTheToolAgain() {
        CountingTool conjugate = conjugate();
        ToolModel model = new ToolModel(1, List.of("conjugate"), "{\"verb\":\"ir\"}");
        AtomicInteger calls = new AtomicInteger();
        ReplyProvider flaky = request -> {
            if (calls.incrementAndGet() == 2) {
                throw new ReplyProviderException("invalid request", false, null);
            }
            return model.reply(request);
        };
        try (TurnService service = turns(first, flaky, conjugate).build()) {
            assertThatThrownBy(() -> service.respond("s", "es", "conjugate ir", "t1")).isInstanceOf(ReplyFailedException.class);
            assertThat(storedIds("s")).containsExactly("t1:user", "t1:s1", "t1:s1:r0");
            MessageModelContract.assertToolPairsWhole(second.promptWindow("s", 10));

            TurnResult resumed = service.respond("s", "es", "conjugate ir", "t1");

            assertThat(resumed.reply().text()).isEqualTo("done: ok");
            assertThat(conjugate.totalRuns()).isEqualTo(1);
        }
    }

    @Test
    void respond_modelNeverStopsCallingTools_stepBoundEndsTheTurnWithEveryCallAnswered() {
        CountingTool conjugate = conjugate();
        ToolModel model = new ToolModel(Integer.MAX_VALUE, List.of("conjugate"), "{}");
        try (TurnService service = turns(first, model, conjugate).maxSteps(3).build()) {
            assertThatThrownBy(() -> service.respond("s", "es", "loop", "t1"))
                    .isInstanceOf(ReplyFailedException.class)
                    .hasMessageContaining("after 3 steps").hasMessageContaining("maxSteps")
                    .satisfies(e -> assertThat(((ReplyFailedException) e).isRetryable()).isFalse());
            assertThat(storedIds("s")).containsExactly("t1:user", "t1:s1", "t1:s1:r0", "t1:s2", "t1:s2:r0", "t1:s3", "t1:s3:r0");
            assertThat(model.requests).hasSize(3);
            MessageModelContract.assertToolPairsWhole(second.readMessages("s", 0, 100));
        }
    }

    @Test
    void respond_modelCallsAnUnknownToolOrWithMalformedArguments_errorResultsStoredAndNothingRun() {
        CountingTool conjugate = conjugate();
        ToolModel unknown = new ToolModel(1, List.of("teleport"), "{}");
        ToolModel malformed = new ToolModel(1, List.of("conjugate"), "{\"verb\": ir");
        try (TurnService a = turns(first, unknown, conjugate).build(); TurnService b = turns(first, malformed, conjugate).build()) {
            TurnResult first = a.respond("s1", "es", "x", "t1");
            TurnResult second = b.respond("s2", "es", "x", "t2");

            assertThat(first.steps().get(1).message().toolResults().get(0).content()).contains("no tool named 'teleport'")
                    .contains("conjugate");
            assertThat(second.steps().get(1).message().toolResults().get(0).content()).contains("not a JSON object");
            assertThat(first.reply().text()).isEqualTo("done: error");
            assertThat(second.reply().text()).isEqualTo("done: error");
            assertThat(conjugate.totalRuns()).isZero();
        }
    }

    @Test
    void respond_sameTurnIdFromTwoStoresAtOnce_theLoopRunsOnce() throws Exception {
        CountingTool conjugate = conjugate();
        ToolModel model = new ToolModel(2, List.of("conjugate"), "{\"verb\":\"ir\"}");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (TurnService one = turns(first, model, conjugate).build(); TurnService two = turns(second, model, conjugate).build()) {
            Future<TurnResult> a = pool.submit(() -> one.respond("s", "es", "conjugate ir", "t1"));
            Future<TurnResult> b = pool.submit(() -> two.respond("s", "es", "conjugate ir", "t1"));
            TurnResult ra = a.get(30, TimeUnit.SECONDS);
            TurnResult rb = b.get(30, TimeUnit.SECONDS);

            assertThat(ra.reply()).isEqualTo(rb.reply());
            assertThat(ra.replayed() ^ rb.replayed()).isTrue();
            assertThat(conjugate.runs).containsOnlyKeys("t1:s1:call-0-0", "t1:s2:call-1-0");
            assertThat(conjugate.totalRuns()).isEqualTo(2);
            assertThat(model.requests).hasSize(3);
            assertThat(storedIds("s")).containsExactly("t1:user", "t1:s1", "t1:s1:r0", "t1:s2", "t1:s2:r0", "t1:reply");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void respond_interruptedWhileAToolRuns_stopsCleanlyAndReleasesTheLease() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountingTool slow = new CountingTool("conjugate", call -> {
            entered.countDown();
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ToolOutput.text("late");
        });
        ToolModel model = new ToolModel(1, List.of("conjugate"), "{}");
        Map<String, Throwable> outcome = new HashMap<>();
        try (TurnService service = turns(first, model, slow).build()) {
            Thread caller = new Thread(() -> {
                try {
                    service.respond("s", "es", "x", "t1");
                } catch (RuntimeException e) {
                    outcome.put("error", e);
                }
            });
            caller.start();
            assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
            caller.interrupt();
            caller.join(5_000);
            assertThat(caller.isAlive()).isFalse();
        }
        assertThat(outcome.get("error")).isInstanceOf(ReplyFailedException.class).hasMessageContaining("interrupted");
        assertThat(second.tryAcquireLease("s", "es", "next", Duration.ofSeconds(5))).isTrue();
        assertThat(storedIds("s")).containsExactly("t1:user", "t1:s1");
    }

    @Test
    void builder_toolsWithTheSameName_refused() {
        assertThatThrownBy(() -> TurnService.builder(first).tools(conjugate(), conjugate()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'conjugate' is offered twice");
        assertThatThrownBy(() -> new ToolSpec("bad name", "x", SCHEMA)).hasMessageContaining("name");
        assertThatThrownBy(() -> new ToolSpec("ok", "x", "[1]")).hasMessageContaining("inputSchema");
        assertThatThrownBy(() -> Reply.of(Part.text(" "))).hasMessageContaining("text must not be blank");
    }
}
