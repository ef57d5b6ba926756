package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.adk.agents.LlmAgent;
import com.google.adk.events.Event;
import com.google.adk.models.BaseLlm;
import com.google.adk.models.BaseLlmConnection;
import com.google.adk.models.LlmRequest;
import com.google.adk.models.LlmResponse;
import com.google.adk.runner.Runner;
import com.google.adk.sessions.Session;
import com.google.adk.tools.Annotations.Schema;
import com.google.adk.tools.FunctionTool;
import com.google.genai.types.Content;
import com.google.genai.types.FunctionCall;
import com.google.genai.types.Part;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.reactivex.rxjava3.core.Flowable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two ADK runners (two application instances, each with its own store and MongoClient) x 4 threads
 * run an agent with a tool on one session at once: every event of every run is stored once, both
 * instances read one order, each run's events keep their order, and every function call is answered
 * by its response after it. The runs interleave in the session; what the agent reads back (the
 * next run's request, which ADK builds from the events, pairing responses with calls by id) holds
 * every call right before its response.
 */
class TwoRunnersOneSessionTest {
    private static final int THREADS = 4;
    private static final int RUNS = 5;

    /** The tool. */
    public static final class Tools {
        private Tools() {}

        /**
         * Echoes.
         *
         * @param text what to echo
         * @return the echo
         */
        public static Map<String, Object> echo(@Schema(name = "text", description = "what to echo") String text) {
            return Map.of("echo", text);
        }
    }

    /** Calls the tool with the run's question, then answers with the tool's result. */
    static final class Model extends BaseLlm {
        volatile List<Content> lastRequest = List.of();

        Model() {
            super("scripted");
        }

        @Override
        public Flowable<LlmResponse> generateContent(LlmRequest request, boolean stream) {
            lastRequest = request.contents();
            Content last = request.contents().get(request.contents().size() - 1);
            Optional<Part> response = last.parts().orElse(List.of()).stream()
                    .filter(p -> p.functionResponse().isPresent()).findFirst();
            Content reply = response.isPresent()
                    ? Content.builder().role("model").parts(Part.fromText("answer to "
                            + response.get().functionResponse().get().response().orElseThrow().get("echo"))).build()
                    : Content.builder().role("model").parts(Part.builder().functionCall(FunctionCall.builder()
                            .name("echo").args(Map.of("text", last.parts().get().get(0).text().orElse(""))).build())
                            .build()).build();
            return Flowable.just(LlmResponse.builder().content(reply).build());
        }

        @Override
        public BaseLlmConnection connect(LlmRequest request) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void twoRunnersFourThreadsEach_oneSession_everyEventOnce_inOneOrder_callsBeforeTheirResponses() throws Exception {
        String database = Stores.newDatabase();
        Model model = new Model();
        LlmAgent agent = LlmAgent.builder().name("echo_agent").model(model).instruction("Echo.")
                .tools(FunctionTool.create(Tools.class, "echo")).build();
        ConversationStore[] stores = new ConversationStore[2];
        ConversationStoreSessionService[] services = new ConversationStoreSessionService[2];
        Runner[] runners = new Runner[2];
        for (int i = 0; i < 2; i++) {
            stores[i] = MongoConversationStore.builder().connectionString(Stores.server().connectionString())
                    .database(database).build();
            services[i] = ConversationStoreSessionService.builder(stores[i]).build();
            runners[i] = Runner.builder().agent(agent).appName("app").sessionService(services[i]).build();
        }
        try {
            services[0].createSession("app", "ana", new HashMap<>(), "shared").blockingGet();
            ExecutorService pool = Executors.newFixedThreadPool(2 * THREADS);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                for (int t = 0; t < THREADS; t++) {
                    int instance = i;
                    int thread = t;
                    done.add(pool.submit(() -> {
                        start.await();
                        for (int n = 0; n < RUNS; n++) {
                            String question = "q-" + instance + "-" + thread + "-" + n;
                            List<Event> events = runners[instance].runAsync("ana", "shared",
                                    Content.fromParts(Part.fromText(question))).toList().blockingGet();
                            assertThat(events.get(events.size() - 1).stringifyContent()).isEqualTo("answer to " + question);
                        }
                        return null;
                    }));
                }
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
            pool.shutdown();

            Session first = services[0].getSession("app", "ana", "shared", Optional.empty()).blockingGet();
            Session second = services[1].getSession("app", "ana", "shared", Optional.empty()).blockingGet();
            List<Event> events = first.events();
            int runs = 2 * THREADS * RUNS;
            assertThat(events).hasSize(runs * 4);
            assertThat(second.events()).extracting(Event::id).containsExactlyElementsOf(events.stream().map(Event::id).toList());
            Set<String> ids = new HashSet<>();
            events.forEach(e -> ids.add(e.id()));
            assertThat(ids).hasSize(runs * 4);

            // per run (invocation): user message, call, response, answer, in this order
            Map<String, List<Integer>> positions = new LinkedHashMap<>();
            Map<String, Integer> callAt = new HashMap<>();
            for (int pos = 0; pos < events.size(); pos++) {
                Event e = events.get(pos);
                positions.computeIfAbsent(e.invocationId(), k -> new ArrayList<>()).add(pos);
                for (FunctionCall call : e.functionCalls()) {
                    callAt.put(call.id().orElseThrow(), pos);
                }
                for (var response : e.functionResponses()) {
                    Integer call = callAt.get(response.id().orElseThrow());
                    assertThat(call).as("the call of response %s comes before it", response.id()).isNotNull().isLessThan(pos);
                }
            }
            assertThat(positions).hasSize(runs);
            long interleaved = positions.values().stream().filter(run -> run.get(3) - run.get(0) != 3).count();
            System.out.println(runs + " runs on one session from 2 runners x " + THREADS + " threads: " + interleaved
                    + " interleaved with another run's events; 0 lost, 0 doubled, every call before its response");
            for (List<Integer> run : positions.values()) {
                assertThat(run).hasSize(4).isSorted();
                assertThat(events.get(run.get(0)).author()).isEqualTo("user");
                assertThat(events.get(run.get(1)).functionCalls()).hasSize(1);
                assertThat(events.get(run.get(2)).functionResponses()).hasSize(1);
                assertThat(events.get(run.get(3)).stringifyContent()).startsWith("answer to q-");
            }

            // what the agent reads back: the next run's request holds every call right before its response
            runners[0].runAsync("ana", "shared", Content.fromParts(Part.fromText("last"))).toList().blockingGet();
            List<Content> request = model.lastRequest;
            int calls = 0;
            for (int i = 0; i < request.size(); i++) {
                for (Part p : request.get(i).parts().orElse(List.of())) {
                    if (p.functionCall().isPresent()) {
                        calls++;
                        String id = p.functionCall().get().id().orElseThrow();
                        assertThat(request.get(i + 1).parts().orElseThrow())
                                .anyMatch(r -> r.functionResponse().flatMap(x -> x.id()).filter(id::equals).isPresent());
                    }
                }
            }
            assertThat(calls).isEqualTo(runs + 1);
        } finally {
            for (ConversationStore s : stores) {
                s.close();
            }
        }
    }
}
