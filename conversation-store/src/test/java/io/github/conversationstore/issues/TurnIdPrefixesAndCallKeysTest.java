package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.ReplyFailedException;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.ToolPairs;
import io.github.conversationstore.TurnRequest;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolException;
import io.github.conversationstore.spi.ToolInvocation;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Adversarial review of durable tool-using turns (public API only). */
class TurnIdPrefixesAndCallKeysTest {
    private static final String SCHEMA = "{\"type\":\"object\"}";

    static java.util.stream.Stream<org.junit.jupiter.api.Named<Supplier<ConversationStore>>> stores() {
        return BothStores.both();
    }

    /** Records invocations; fails (retryable) while {@code failing} is set. */
    static final class RecordingTool implements Tool {
        final List<ToolInvocation> invocations = new CopyOnWriteArrayList<>();
        volatile boolean failing;

        @Override
        public ToolSpec spec() {
            return new ToolSpec("lookup", "Looks something up.", SCHEMA);
        }

        @Override
        public ToolOutput run(ToolInvocation invocation) {
            invocations.add(invocation);
            if (failing) {
                throw new ToolException("backend down", true, null);
            }
            return ToolOutput.text("result of " + invocation.arguments());
        }
    }

    /**
     * Turn "a" asks for one tool call; every other turn (and turn "a" once its call is answered)
     * answers with text. Records the steps each request carried.
     */
    static final class PrefixModel implements ReplyProvider {
        final List<ReplyRequest> requests = new CopyOnWriteArrayList<>();

        @Override
        public Reply reply(ReplyRequest request) {
            requests.add(request);
            boolean asked = request.steps().stream().anyMatch(m -> m.role() == Role.ASSISTANT);
            if (request.turnId().equals("a") && !asked) {
                return new Reply(List.of(new Part.ToolCall("c1", "lookup", "{\"q\":\"x\"}")), Map.of(),
                        TokenUsage.UNKNOWN, Map.of());
            }
            return Reply.of("answer to " + request.turnId());
        }
    }

    private static TurnService service(ConversationStore store, ReplyProvider model, Tool tool) {
        return TurnService.builder(store).provider(model).tools(tool).maxToolAttempts(1)
                .retryBackoff(Duration.ZERO).replyTimeout(Duration.ofSeconds(5)).toolTimeout(Duration.ofSeconds(5))
                .build();
    }

    /**
     * Turn "a" stores its tool call, then its tool fails (resumable). Another turn whose id is
     * "a:x" runs to the end. Resuming turn "a" must run the pending call and hand the model only
     * turn a's own steps. turnMessages matches messages by the prefix "a:", so it takes "a:x:user"
     * and "a:x:reply" for steps of turn "a": the pending call is never run, and the model is given
     * a call without its result plus another turn's user message as "steps".
     */
    @ParameterizedTest
    @MethodSource("stores")
    void resumedTurnIgnoresAnotherTurnWhoseIdExtendsItsOwn(Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            RecordingTool tool = new RecordingTool();
            PrefixModel model = new PrefixModel();
            try (TurnService turns = service(store, model, tool)) {
                tool.failing = true;
                assertThatThrownBy(() -> turns.respond(new TurnRequest("s", "es", "first", "a")))
                        .isInstanceOf(ReplyFailedException.class);
                tool.failing = false;
                turns.respond(new TurnRequest("s", "es", "second", "a:x"));
                int runsBefore = tool.invocations.size();

                turns.respond(new TurnRequest("s", "es", "first", "a"));

                // the pending call c1 of turn "a" must be run on resume
                ReplyRequest resumed = model.requests.get(model.requests.size() - 1);
                assertThat(tool.invocations.size()).as("tool runs on resuming turn a; stored %s; steps given to the model %s",
                        ids(store.readMessages("s", 0, 100)), ids(resumed.steps())).isEqualTo(runsBefore + 1);
                assertThat(resumed.turnId()).isEqualTo("a");
                assertThat(resumed.steps()).as("steps handed to the model for turn a")
                        .allSatisfy(m -> assertThat(m.message().id()).matches("a:s\\d+(:r\\d+)?"));
                assertThat(answeredCalls(resumed.steps())).as("every call in the steps is answered").isTrue();
            }
            List<StoredMessage> all = store.readMessages("s", 0, 100);
            assertThat(all.stream().flatMap(m -> m.message().toolResults().stream()).map(Part.ToolResult::callId))
                    .as("stored results").contains("c1");
        }
    }

    private static List<String> ids(List<StoredMessage> messages) {
        return messages.stream().map(m -> m.message().id()).collect(java.util.stream.Collectors.toList());
    }

    private static boolean answeredCalls(List<StoredMessage> steps) {
        Set<String> calls = new HashSet<>();
        Set<String> results = new HashSet<>();
        for (StoredMessage m : steps) {
            m.message().toolCalls().forEach(c -> calls.add(c.callId()));
            m.message().toolResults().forEach(r -> results.add(r.callId()));
        }
        return results.containsAll(calls);
    }

    /**
     * A model that gives every step's call the same id (providers that number calls per response,
     * "call_0"; or adapters that make ids from the index): two different calls, with different
     * arguments, get the same idempotency key, so a tool that dedups by it (as documented) applies
     * the second call as a repeat of the first.
     */
    @ParameterizedTest
    @MethodSource("stores")
    void distinctCallsOfOneTurnGetDistinctIdempotencyKeys(Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            RecordingTool tool = new RecordingTool();
            ReplyProvider model = request -> {
                long done = request.steps().stream().filter(m -> m.role() == Role.ASSISTANT).count();
                if (done < 2) {
                    return new Reply(List.of(new Part.ToolCall("call_0", "lookup", "{\"page\":" + done + "}")),
                            Map.of(), TokenUsage.UNKNOWN, Map.of());
                }
                return Reply.of("done");
            };
            try (TurnService turns = service(store, model, tool)) {
                turns.respond(new TurnRequest("s", "es", "go", "t1"));
            }
            assertThat(tool.invocations).hasSize(2);
            assertThat(tool.invocations.get(0).arguments()).isNotEqualTo(tool.invocations.get(1).arguments());
            assertThat(tool.invocations.get(0).idempotencyKey())
                    .as("idempotency keys of two different calls")
                    .isNotEqualTo(tool.invocations.get(1).idempotencyKey());
            assertThat(ToolPairs.keepWhole(store.readMessages("s", 0, 100))).hasSize(6);
        }
    }

    /**
     * Two different turns collide on the idempotency key: turn "a" with call id "x:c1" and turn
     * "a:x" with call id "c1" both get "a:x:c1".
     */
    @ParameterizedTest
    @MethodSource("stores")
    void callsOfDifferentTurnsGetDistinctIdempotencyKeys(Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            RecordingTool tool = new RecordingTool();
            ReplyProvider model = request -> {
                if (request.steps().isEmpty()) {
                    String callId = request.turnId().equals("a") ? "x:c1" : "c1";
                    return new Reply(List.of(new Part.ToolCall(callId, "lookup", "{\"turn\":\"" + request.turnId() + "\"}")),
                            Map.of(), TokenUsage.UNKNOWN, Map.of());
                }
                return Reply.of("done");
            };
            try (TurnService turns = service(store, model, tool)) {
                turns.respond(new TurnRequest("s", "es", "go", "a"));
                turns.respond(new TurnRequest("s", "es", "go", "a:x"));
            }
            assertThat(tool.invocations).hasSize(2);
            assertThat(tool.invocations.get(0).idempotencyKey())
                    .as("idempotency keys of calls of two different turns")
                    .isNotEqualTo(tool.invocations.get(1).idempotencyKey());
        }
    }
}
