package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.adk.agents.BaseAgent;
import com.google.adk.agents.LlmAgent;
import com.google.adk.agents.ParallelAgent;
import com.google.adk.events.Event;
import com.google.adk.models.BaseLlm;
import com.google.adk.models.BaseLlmConnection;
import com.google.adk.models.LlmRequest;
import com.google.adk.models.LlmResponse;
import com.google.adk.runner.Runner;
import com.google.adk.sessions.Session;
import com.google.adk.tools.FunctionTool;
import com.google.genai.types.Content;
import com.google.genai.types.FunctionCall;
import com.google.genai.types.Part;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.testing.ForwardingConversationStore;
import io.reactivex.rxjava3.core.Flowable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Adversarial review: ADK's own use of one {@link Session} object from several threads. A
 * {@link ParallelAgent}'s branches answer on other threads (their model replies come late, on
 * RxJava's schedulers) and read the session's events while the runner appends through the same
 * object, and the store is slow: the run ends (no deadlock between the appends' lock and ADK's use
 * of the events list), and the object, the stored session and the run's events agree. And an
 * append waiting on the store does not hold the events list that ADK copies to build a request.
 */
class ParallelAgentOneSessionObjectTest {
    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    /** Calls the tool once, then answers; its replies come after a seeded random delay on another thread. */
    static final class LateModel extends BaseLlm {
        private final Random random;

        LateModel(long seed) {
            super("scripted-late");
            this.random = new Random(seed);
        }

        @Override
        public Flowable<LlmResponse> generateContent(LlmRequest request, boolean stream) {
            Content last = request.contents().get(request.contents().size() - 1);
            boolean answered = last.parts().orElse(List.of()).stream().anyMatch(p -> p.functionResponse().isPresent());
            Content reply = answered
                    ? Content.builder().role("model").parts(Part.fromText("done")).build()
                    : Content.builder().role("model").parts(Part.builder().functionCall(FunctionCall.builder()
                            .name("echo").args(Map.of("text", "x")).build()).build()).build();
            long delay;
            synchronized (random) {
                delay = random.nextInt(15);
            }
            return Flowable.just(LlmResponse.builder().content(reply).build()).delay(delay, TimeUnit.MILLISECONDS);
        }

        @Override
        public BaseLlmConnection connect(LlmRequest request) {
            throw new UnsupportedOperationException();
        }
    }

    /** Makes every append to a session take a few milliseconds more. */
    static final class Slow extends ForwardingConversationStore {
        Slow(ConversationStore delegate) {
            super(delegate);
        }

        @Override
        public AppendResult appendMessages(AppendRequest request) {
            try {
                Thread.sleep(3);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return super.appendMessages(request);
        }
    }

    /** Holds every event append (and the retry's read) until released. */
    static final class Held extends ForwardingConversationStore {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        Held(ConversationStore delegate) {
            super(delegate);
        }

        @Override
        public AppendResult appendMessages(AppendRequest request) {
            if (request.appendId().startsWith("adk-event-")) {
                entered.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.appendMessages(request);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void whileAnAppendWaitsOnTheStore_theEventsListStaysFree_andAnAppendWaitsForADKsCopyOfIt(Stores.Kind kind)
            throws Exception {
        try (ConversationStore base = kind.open()) {
            Held store = new Held(base);
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(store).build();
            Session session = service.createSession("app", "ana", new HashMap<>(), "s").blockingGet();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<Event> append = pool.submit(() -> service.appendEvent(session, Events.model("slow")).blockingGet());
                assertThat(store.entered.await(5, TimeUnit.SECONDS)).isTrue();
                // what ADK's Contents does to build a request (another branch, on another thread)
                Future<List<Event>> copy = pool.submit(() -> {
                    synchronized (session.events()) {
                        return List.copyOf(session.events());
                    }
                });
                assertThat(copy.get(2, TimeUnit.SECONDS)).isEmpty(); // not blocked by the append waiting on the store
                List<Event> held;
                synchronized (session.events()) { // ADK holding the list: the acknowledged append waits, then adds
                    store.release.countDown();
                    Thread.sleep(200);
                    held = List.copyOf(session.events());
                }
                assertThat(held).isEmpty();
                assertThat(append.get(5, TimeUnit.SECONDS)).isNotNull();
                assertThat(session.events()).hasSize(1);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void parallelBranches_onOneSessionObject_finish_andAgreeWithTheStore(Stores.Kind kind) {
        try (ConversationStore base = kind.open()) {
            ConversationStoreSessionService service = ConversationStoreSessionService.builder(new Slow(base)).build();
            List<BaseAgent> branches = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                branches.add(LlmAgent.builder().name("branch_" + i).model(new LateModel(42 + i)).instruction("Echo.")
                        .tools(FunctionTool.create(TwoRunnersOneSessionTest.Tools.class, "echo")).build());
            }
            ParallelAgent root = ParallelAgent.builder().name("fan_out").subAgents(branches).build();
            Runner runner = Runner.builder().agent(root).appName("app").sessionService(service).build();
            service.createSession("app", "ana", new HashMap<>(), "s").blockingGet();

            for (int run = 0; run < 3; run++) {
                List<Event> emitted = runner.runAsync("ana", "s", Content.fromParts(Part.fromText("go " + run)))
                        .toList().timeout(20, TimeUnit.SECONDS).blockingGet();
                // per branch: call, response, answer
                assertThat(emitted).as("run %d", run).hasSize(4 * 3);
            }

            Session read = service.getSession("app", "ana", "s", Optional.empty()).blockingGet();
            List<Event> events = read.events();
            assertThat(events).hasSize(3 * (1 + 4 * 3));
            assertThat(events.stream().map(Event::id).distinct()).hasSize(events.size());
            for (int i = 0; i < events.size(); i++) { // every response after its call
                for (String answered : events.get(i).functionResponses().stream().map(r -> r.id().orElseThrow()).toList()) {
                    assertThat(events.subList(0, i).stream().flatMap(e -> e.functionCalls().stream())
                            .anyMatch(c -> c.id().orElseThrow().equals(answered))).as("call of %s before it", answered).isTrue();
                }
            }
        }
    }
}
