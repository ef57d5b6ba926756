package io.github.conversationstore.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Role;
import io.github.conversationstore.ScriptedReplyProvider;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.observability.MicrometerStoreListener;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ChatServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private EmbeddedServer mongo;
    private ConversationStore store;
    private ChatServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        mongo = EmbeddedServer.inMemory();
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MicrometerStoreListener meters = MicrometerStoreListener.create(metrics);
        store = MongoConversationStore.builder().connectionString(mongo.connectionString()).database("chat")
                .listener(meters).build();
        server = ChatServer.start(0, store, ScriptedReplyProvider.echo(), metrics, meters);
    }

    @AfterEach
    void stop() {
        server.close();
        store.close();
        mongo.close();
    }

    private HttpResponse<String> post(String body) throws Exception {
        return http.send(chatRequest()
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void post_returnsReplyWithExtras_andHistoryShowsIt() throws Exception {
        HttpResponse<String> response = post("{\"sessionId\":\"web-1\",\"language\":\"es\",\"text\":\"hola\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("reply").asText()).isEqualTo("echo: hola");
        assertThat(body.get("translation").asText()).isEqualTo("[es] hola");
        assertThat(body.get("userSequence").asLong()).isZero();
        assertThat(body.get("replySequence").asLong()).isEqualTo(1);

        JsonNode history = JSON.readTree(get("/api/history?sessionId=web-1").body());
        assertThat(history.get("language").asText()).isEqualTo("es");
        assertThat(history.get("messages")).hasSize(2);
        assertThat(history.get("messages").get(1).get("translation").asText()).isEqualTo("[es] hola");
    }

    @Test
    void concurrentPosts_toOneSession_storeEveryTurnOnceAndInOrder() throws Exception {
        int requests = 12;
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            futures.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/chat"))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"sessionId\":\"busy\",\"language\":\"fr\",\"text\":\"message " + i + "\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> f : futures) {
            assertThat(f.get().statusCode()).as(f.get().body()).isEqualTo(200);
        }

        List<StoredMessage> stored = store.readMessages("busy", 0, 100);
        assertThat(stored).hasSize(requests * 2);
        for (int i = 0; i < stored.size(); i += 2) {
            assertThat(stored.get(i).role()).isEqualTo(Role.USER);
            assertThat(stored.get(i + 1).text()).isEqualTo("echo: " + stored.get(i).text());
        }
        assertThat(stored.stream().filter(m -> m.role() == Role.USER).map(StoredMessage::text).distinct()).hasSize(requests);
    }

    @Test
    void invalidRequests_get400WithAClearMessage() throws Exception {
        assertError(post("{not json"), 400, "invalid JSON");
        assertError(post("[1, 2]"), 400, "JSON object");
        assertError(post("{\"language\":\"es\",\"text\":\"hola\"}"), 400, "sessionId is required");
        assertError(post("{\"sessionId\":\"s\",\"language\":\"es\"}"), 400, "text is required");
        assertError(post("{\"sessionId\":\"s\",\"language\":\"es\",\"text\":7}"), 400, "text is required and must be a string");
        assertError(post("{\"sessionId\":\"s\",\"language\":\"es\",\"text\":\"  \"}"), 400, "text must not be blank");
        assertError(post("{\"sessionId\":\"s\",\"language\":\"en_US\",\"text\":\"hi\"}"), 400, "BCP 47");
        assertError(post("{\"sessionId\":\"\",\"language\":\"es\",\"text\":\"hi\"}"), 400, "sessionId must not be blank");
        assertError(get("/api/chat"), 405, "use POST");
        assertError(get("/api/history"), 400, "sessionId is required");
        assertError(get("/api/history?sessionId=nobody"), 404, "no conversation");
        assertThat(store.findConversation("s")).isEmpty();
    }

    @Test
    void rejectedFields_get400NamingTheRequestsOwnField_neverAnInternalPath() throws Exception {
        HttpResponse<String> tooLong = post("{\"sessionId\":\"s\",\"language\":\"es\",\"text\":\"" + "a".repeat(70_000) + "\"}");
        assertError(tooLong, 400, "text must be at most 65536 bytes in UTF-8, was 70000");
        assertThat(tooLong.body()).doesNotContain("messages[").doesNotContainPattern("\\w\\[\\d+\\]");
        assertThat(field(tooLong)).isEqualTo("text");

        HttpResponse<String> language = post("{\"sessionId\":\"s\",\"language\":\"en_US\",\"text\":\"hi\"}");
        assertError(language, 400, "language must be");
        assertThat(field(language)).isEqualTo("language");

        HttpResponse<String> session = post("{\"sessionId\":\"" + "s".repeat(300) + "\",\"language\":\"es\",\"text\":\"hi\"}");
        assertError(session, 400, "sessionId must be at most");
        assertThat(field(session)).isEqualTo("sessionId");

        HttpResponse<String> turnId = post("{\"sessionId\":\"s\",\"language\":\"es\",\"text\":\"hi\",\"turnId\":\" \"}");
        assertError(turnId, 400, "turnId must not be blank");
        assertThat(field(turnId)).isEqualTo("turnId");

        assertThat(field(post("{\"sessionId\":\"s\",\"language\":\"es\"}"))).isEqualTo("text");
        assertThat(field(post("{\"sessionId\":\"s\",\"language\":\"es\",\"text\":\" \"}"))).isEqualTo("text");
        assertThat(field(post("{\"sessionId\":\"s\",\"language\":\"es\",\"text\":\"hi\",\"turnId\":1}"))).isEqualTo("turnId");
        assertThat(JSON.readTree(post("{not json").body()).has("field")).isFalse();
        assertThat(store.findConversation("s")).isEmpty();
    }

    private static String field(HttpResponse<String> response) throws Exception {
        JsonNode field = JSON.readTree(response.body()).get("field");
        return field == null ? null : field.asText();
    }

    @Test
    void metrics_showTheTurnsAppendsReadsAndProviderCalls_inPrometheusTextFormat() throws Exception {
        assertThat(post("{\"sessionId\":\"web-m\",\"language\":\"es\",\"text\":\"hola secreto\"}").statusCode()).isEqualTo(200);
        assertThat(post("{\"sessionId\":\"web-m\",\"language\":\"es\",\"text\":\"otra vez\"}").statusCode()).isEqualTo(200);
        assertThat(get("/api/history?sessionId=web-m").statusCode()).isEqualTo(200);

        HttpResponse<String> response = get("/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
        String text = response.body();
        // two turns, each storing the user's message and the reply in their own appends
        assertThat(text).contains("# TYPE conversation_store_append_seconds summary")
                .containsPattern("conversation_store_append_seconds_count\\{duplicate=\"false\",outcome=\"ok\"\\} 4(\\.0)?\\n")
                .containsPattern("conversation_store_append_messages_total 4(\\.0)?\\n")
                .containsPattern("conversation_store_conversations_total 1(\\.0)?\\n")
                .containsPattern("conversation_store_turn_seconds_count\\{outcome=\"ok\",replayed=\"false\"\\} 2(\\.0)?\\n")
                .containsPattern("conversation_store_provider_call_seconds_count\\{model=\"none\",outcome=\"ok\",provider=\"[^\"]+\"\\} 2")
                .containsPattern("conversation_store_read_seconds_count\\{kind=\"header\",outcome=\"ok\"\\} [1-9]")
                .contains("conversation_store_turn_active_seconds_count 0");
        // no session id, no text
        assertThat(text).doesNotContain("web-m").doesNotContain("secreto").doesNotContain("hola");
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(405);
    }

    @Test
    void page_isServed() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("text/html"));
        assertThat(page.body()).contains("/api/chat").contains("/api/history");
    }

    @Test
    void oversizedBodies_get413WithAJsonError_notAReset() throws Exception {
        String twentyMegabytes = "{\"sessionId\":\"s\",\"language\":\"es\",\"text\":\"" + "a".repeat(20_000_001) + "\"}";
        assertError(post(twentyMegabytes), 413, "larger than");

        byte[] overCap = ("{\"text\":\"" + "b".repeat(ChatServer.MAX_BODY_BYTES) + "\"}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> chunked = http.send(chatRequest()
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(overCap))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(chunked, 413, "larger than");
        assertThat(store.findConversation("s")).isEmpty();
    }

    @Test
    void jsonBeyondJacksonsLimits_getsA400JsonError() throws Exception {
        String tooDeep = "[".repeat(5_000) + "]".repeat(5_000);
        assertError(post(tooDeep), 400, "invalid JSON");
        assertError(post("{\"sessionId\":\"s\",\"language\":\"es\",\"text\":\"hola\"} trailing"), 400, "invalid JSON");
        assertError(post("{\"sessionId\":\"s\",\"language\":\"es\",\"text\":\"hola\"}{}"), 400, "invalid JSON");
        assertThat(store.findConversation("s")).isEmpty();
    }

    @Test
    void numericTurnId_isRejected() throws Exception {
        assertError(post("{\"sessionId\":\"s\",\"language\":\"es\",\"text\":\"hola\",\"turnId\":42}"), 400,
                "turnId must be a string");
        assertThat(store.findConversation("s")).isEmpty();
    }

    @Test
    void reusedTurnId_withTheSameText_returnsTheStoredTurn_withOtherText_gets409() throws Exception {
        String first = "{\"sessionId\":\"t\",\"language\":\"es\",\"text\":\"hola\",\"turnId\":\"turn-1\"}";
        HttpResponse<String> sent = post(first);
        HttpResponse<String> retried = post(first);
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
        assertThat(JSON.readTree(retried.body())).isEqualTo(JSON.readTree(sent.body()));

        assertError(post("{\"sessionId\":\"t\",\"language\":\"es\",\"text\":\"adiós\",\"turnId\":\"turn-1\"}"), 409,
                "turnId 'turn-1' was used before with other text");
        assertThat(store.readMessages("t", 0, 10)).extracting(StoredMessage::text).containsExactly("hola", "echo: hola");
    }

    @Test
    void anotherLanguage_forAnExistingSession_gets409_andTheStoredLanguageIsKept() throws Exception {
        assertThat(post("{\"sessionId\":\"lang\",\"language\":\"es\",\"text\":\"hola\"}").statusCode()).isEqualTo(200);

        HttpResponse<String> switched = post("{\"sessionId\":\"lang\",\"language\":\"fr\",\"text\":\"bonjour\"}");

        assertError(switched, 409, "session 'lang' is in es, not fr: start a new session");
        assertThat(JSON.readTree(switched.body()).get("language").asText()).isEqualTo("es");
        assertThat(post("{\"sessionId\":\"lang\",\"language\":\"ES\",\"text\":\"otra vez\"}").statusCode()).isEqualTo(200);
        assertThat(store.findConversation("lang").orElseThrow().language()).isEqualTo("es");
        assertThat(store.readMessages("lang", 0, 10)).hasSize(4);
    }

    @Test
    void wrongMethods_get405WithAnAllowHeader() throws Exception {
        HttpResponse<String> chat = get("/api/chat");
        assertError(chat, 405, "use POST");
        assertThat(chat.headers().firstValue("Allow")).hasValue("POST");

        HttpResponse<String> history = send("/api/history", "DELETE");
        assertError(history, 405, "use GET");
        assertThat(history.headers().firstValue("Allow")).hasValue("GET");

        HttpResponse<String> page = send("/", "PUT");
        assertError(page, 405, "use GET");
        assertThat(page.headers().firstValue("Allow")).hasValue("GET, HEAD");
    }

    @Test
    void headOfThePage_answers200_withoutAWarningInTheServersLog() throws Exception {
        Logger serverLog = Logger.getLogger("com.sun.net.httpserver");
        List<LogRecord> warnings = new CopyOnWriteArrayList<>();
        Handler recorder = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(record);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        serverLog.addHandler(recorder);
        try {
            HttpResponse<String> head = send("/", "HEAD");
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("text/html"));
            assertThat(head.body()).isEmpty();
            assertThat(get("/").statusCode()).isEqualTo(200); // the connection is still usable
        } finally {
            serverLog.removeHandler(recorder);
        }
        assertThat(warnings).extracting(LogRecord::getMessage).isEmpty();
    }

    private HttpRequest.Builder chatRequest() {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/chat"))
                .header("Content-Type", "application/json");
    }

    private HttpResponse<String> send(String path, String method) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertError(HttpResponse<String> response, int status, String message) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(JSON.readTree(response.body()).get("error").asText()).contains(message);
    }
}
