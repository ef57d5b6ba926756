package io.github.conversationstore.adk.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.adk.agents.LlmAgent;
import com.google.adk.events.Event;
import com.google.adk.models.BaseLlm;
import com.google.adk.models.BaseLlmConnection;
import com.google.adk.models.LlmRequest;
import com.google.adk.models.LlmResponse;
import com.google.adk.runner.Runner;
import com.google.adk.sessions.BaseSessionService;
import com.google.adk.sessions.Session;
import com.google.adk.tools.Annotations.Schema;
import com.google.adk.tools.FunctionTool;
import com.google.genai.types.Content;
import com.google.genai.types.FunctionCall;
import com.google.genai.types.Part;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.adk.ConversationStoreSessionService;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.reactivex.rxjava3.core.Flowable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The ADK examples of the README, docs/ADAPTERS.md and the javadoc, compiled and run offline: an
 * ADK {@code LlmAgent} with a tool, over a scripted model, whose sessions are kept in the store and
 * survive a restart of the application.
 */
class AdkExamplesTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();

    @AfterAll
    static void stop() {
        SERVER.close();
    }

    /** The tool the agent may call. */
    public static final class WeatherTools {
        private WeatherTools() {}

        /**
         * Tells the weather.
         *
         * @param city the city
         * @return the weather
         */
        public static Map<String, Object> getWeather(@Schema(name = "city", description = "the city") String city) {
            return Map.of("city", city, "weather", "sunny", "celsius", 21);
        }
    }

    /** A model that asks for the weather, then answers from the tool's result; it records what it was sent. */
    static final class ScriptedModel extends BaseLlm {
        final List<Integer> contentsSeen = new CopyOnWriteArrayList<>();

        ScriptedModel() {
            super("scripted-weather-model");
        }

        @Override
        public Flowable<LlmResponse> generateContent(LlmRequest request, boolean stream) {
            contentsSeen.add(request.contents().size());
            Content last = request.contents().get(request.contents().size() - 1);
            boolean answered = last.parts().orElse(List.of()).stream().anyMatch(p -> p.functionResponse().isPresent());
            Content reply = answered
                    ? Content.builder().role("model").parts(Part.fromText("Sunny, 21 °C.")).build()
                    : Content.builder().role("model").parts(Part.builder().functionCall(FunctionCall.builder()
                            .name("getWeather").args(Map.of("city", "Lima")).build()).build()).build();
            return Flowable.just(LlmResponse.builder().content(reply).build());
        }

        @Override
        public BaseLlmConnection connect(LlmRequest request) {
            throw new UnsupportedOperationException("no live connection in the example");
        }
    }

    @Test
    void llmAgent_onTheStore_keepsItsSessionAcrossARestart() throws Exception {
        String connectionString = SERVER.connectionString();
        ScriptedModel model = new ScriptedModel();
        LlmAgent agent = LlmAgent.builder()
                .name("weather_agent")
                .model(model)
                .instruction("Answer questions about the weather.")
                .tools(FunctionTool.create(WeatherTools.class, "getWeather"))
                .build();

        // @start region="session-service"
        ConversationStore store = MongoConversationStore.builder()
                .connectionString(connectionString)
                .database("agents")
                .build();
        BaseSessionService sessions = ConversationStoreSessionService.builder(store).build();
        Runner runner = Runner.builder()
                .agent(agent)
                .appName("weather-app")
                .sessionService(sessions)
                .build();
        // @end

        // @start region="turn"
        Session session = sessions.createSession("weather-app", "ana", Map.of("user:units", "metric"), null)
                .blockingGet();
        List<Event> events = runner.runAsync("ana", session.id(),
                Content.fromParts(Part.fromText("Weather in Lima?"))).toList().blockingGet();
        // the user's message, the model's call, the tool's response and the answer: each stored once
        // @end
        store.close();

        assertThat(events.get(events.size() - 1).stringifyContent()).isEqualTo("Sunny, 21 °C.");
        // a restart: a new store and service, as another instance of the application would have
        try (ConversationStore again = MongoConversationStore.builder().connectionString(connectionString)
                .database("agents").build()) {
            BaseSessionService restarted = ConversationStoreSessionService.builder(again).build();
            Runner next = Runner.builder().agent(agent).appName("weather-app").sessionService(restarted).build();
            model.contentsSeen.clear();
            next.runAsync("ana", session.id(), Content.fromParts(Part.fromText("And tomorrow?"))).toList().blockingGet();

            // the model saw the whole first turn (4 contents) and the new message
            assertThat(model.contentsSeen.get(0)).isEqualTo(5);
            Session read = restarted.getSession("weather-app", "ana", session.id(), Optional.empty()).blockingGet();
            assertThat(read.events()).hasSize(8);
            assertThat(read.state()).containsEntry("user:units", "metric");
            List<StoredMessage> window = again.promptWindow("adk/weather-app/ana/" + session.id(), 20);
            assertThat(window).extracting(StoredMessage::role).containsExactly(Role.SYSTEM,
                    Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT, Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
            assertThat(window.get(2).message().toolCalls().get(0).callId())
                    .isEqualTo(window.get(3).message().toolResults().get(0).callId());
        }
    }

    @Test
    void readme_and_adapters_showTheCompiledRegions() throws IOException {
        String test = Files.readString(Path.of(
                "src/test/java/io/github/conversationstore/adk/examples/AdkExamplesTest.java"));
        for (String doc : List.of("../README.md", "../docs/ADAPTERS.md")) {
            String text = normalized(Files.readString(Path.of(doc)));
            for (String region : List.of("session-service", "turn")) {
                String start = "// @start region=\"" + region + "\"\n";
                int from = test.indexOf(start) + start.length();
                String code = test.substring(from, test.indexOf("// @end", from));
                assertThat(text).as(doc + " shows region " + region).contains(normalized(code));
            }
        }
    }

    private static String normalized(String code) {
        return code.replaceAll("\\s+", " ").trim();
    }
}
