package io.github.conversationstore.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Role;
import io.github.conversationstore.ScriptedReplyProvider;
import io.github.conversationstore.StoredMessage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
        store = MongoConversationStore.builder().connectionString(mongo.connectionString()).database("chat").build();
        server = ChatServer.start(0, store, ScriptedReplyProvider.echo());
    }

    @AfterEach
    void stop() {
        server.close();
        store.close();
        mongo.close();
    }

    private HttpResponse<String> post(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/chat"))
                .header("Content-Type", "application/json")
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
    void page_isServed() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("text/html"));
        assertThat(page.body()).contains("/api/chat").contains("/api/history");
    }

    private static void assertError(HttpResponse<String> response, int status, String message) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(JSON.readTree(response.body()).get("error").asText()).contains(message);
    }
}
