package io.github.conversationstore.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The branch endpoints: {@code POST /api/branches/edit}, {@code /api/branches/regenerate}, {@code GET /api/branches}. */
class ChatServerBranchesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private EmbeddedServer mongo;
    private ConversationStore store;
    private ChatServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    /** Numbers its replies, so that a regenerated reply differs from the first. */
    private final AtomicInteger calls = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        mongo = EmbeddedServer.inMemory();
        store = MongoConversationStore.builder().connectionString(mongo.connectionString()).database("chat").build();
        ReplyProvider numbered = request -> Reply.of("reply " + calls.incrementAndGet() + " to " + request.userMessage().text());
        server = ChatServer.start(0, store, numbered);
    }

    @AfterEach
    void stop() {
        server.close();
        store.close();
        mongo.close();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private List<SseEvents.Event> stream(String path, String body) throws Exception {
        HttpResponse<Stream<String>> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        return new SseEvents(response.body().iterator()).all();
    }

    private JsonNode family(String sessionId) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/api/branches?sessionId=" + sessionId)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /** Two turns in session {@code s}: t1 ("hola") and t2 ("adiós"). */
    private void twoTurns() throws Exception {
        assertThat(post("/api/chat", "{\"sessionId\":\"s\",\"language\":\"es\",\"text\":\"hola\",\"turnId\":\"t1\"}").statusCode()).isEqualTo(200);
        assertThat(post("/api/chat", "{\"sessionId\":\"s\",\"language\":\"es\",\"text\":\"adiós\",\"turnId\":\"t2\"}").statusCode()).isEqualTo(200);
    }

    private static String texts(List<StoredMessage> messages) {
        return String.join(" | ", messages.stream().map(StoredMessage::text).toList());
    }

    @Test
    void edit_answersTheEditedMessageOnANewBranch_andTheOriginalIsUntouched() throws Exception {
        twoTurns();

        List<SseEvents.Event> events = stream("/api/branches/edit",
                "{\"sessionId\":\"s\",\"turnId\":\"t2\",\"text\":\"buenas noches\",\"newTurnId\":\"e1\"}");

        SseEvents.Event branch = events.get(0);
        assertThat(branch.name()).isEqualTo("branch");
        String branchId = branch.data().get("sessionId").asText();
        assertThat(branchId).isNotEqualTo("s");
        assertThat(branch.data().get("parentSessionId").asText()).isEqualTo("s");
        assertThat(branch.data().get("atSequence").asLong()).isEqualTo(2);
        SseEvents.Event done = events.get(events.size() - 1);
        assertThat(done.name()).isEqualTo("done");
        assertThat(done.data().get("sessionId").asText()).isEqualTo(branchId);
        assertThat(done.data().get("turnId").asText()).isEqualTo("e1");
        assertThat(done.data().get("reply").asText()).isEqualTo("reply 3 to buenas noches");
        assertThat(done.data().get("userSequence").asLong()).isEqualTo(2);
        assertThat(SseEvents.text(events)).isEqualTo("reply 3 to buenas noches");
        assertThat(texts(store.readMessages(branchId, 0, 10)))
                .isEqualTo("hola | reply 1 to hola | buenas noches | reply 3 to buenas noches");
        assertThat(texts(store.readMessages("s", 0, 10))).isEqualTo("hola | reply 1 to hola | adiós | reply 2 to adiós");
    }

    @Test
    void regenerate_answersAgainOnANewBranch_andARetryOfTheSameRequestGivesTheSameBranch() throws Exception {
        twoTurns();
        String body = "{\"sessionId\":\"s\",\"turnId\":\"t2\",\"newTurnId\":\"r1\"}";

        List<SseEvents.Event> first = stream("/api/branches/regenerate", body);
        List<SseEvents.Event> again = stream("/api/branches/regenerate", body);

        String branchId = first.get(0).data().get("sessionId").asText();
        assertThat(again.get(0).data().get("sessionId").asText()).isEqualTo(branchId);
        assertThat(first.get(first.size() - 1).data().get("reply").asText()).isEqualTo("reply 3 to adiós");
        assertThat(again.get(again.size() - 1).data().get("reply").asText()).isEqualTo("reply 3 to adiós");
        assertThat(calls).hasValue(3); // the retry called the tutor no more
        assertThat(texts(store.readMessages(branchId, 0, 10))).isEqualTo("hola | reply 1 to hola | adiós | reply 3 to adiós");
        assertThat(store.listForks("s", null, 10)).hasSize(1);
        // an edit retried with the same newTurnId finds its branch too
        String edit = "{\"sessionId\":\"s\",\"turnId\":\"t1\",\"text\":\"buenos días\",\"newTurnId\":\"e2\"}";
        List<SseEvents.Event> edited = stream("/api/branches/edit", edit);
        List<SseEvents.Event> editedAgain = stream("/api/branches/edit", edit);
        assertThat(editedAgain.get(0).data().get("sessionId").asText()).isEqualTo(edited.get(0).data().get("sessionId").asText());
        assertThat(store.listForks("s", null, 10)).hasSize(2);
    }

    @Test
    void family_listsTheRootAndItsForksRecursively_andWhereTheShownBranchDiverges() throws Exception {
        twoTurns();
        String edited = stream("/api/branches/edit",
                "{\"sessionId\":\"s\",\"turnId\":\"t2\",\"text\":\"buenas noches\",\"newTurnId\":\"e1\"}").get(0)
                .data().get("sessionId").asText();
        // a regenerate on the branch: a fork of a fork, at the same message
        String regenerated = stream("/api/branches/regenerate",
                "{\"sessionId\":\"" + edited + "\",\"turnId\":\"e1\",\"newTurnId\":\"r2\"}").get(0)
                .data().get("sessionId").asText();

        for (String shown : List.of("s", edited, regenerated)) {
            JsonNode family = family(shown);
            assertThat(family.get("root").asText()).isEqualTo("s");
            assertThat(family.get("branches")).extracting(b -> b.get("sessionId").asText())
                    .containsExactly("s", edited, regenerated);
            JsonNode divergence = family.get("divergences").get(0);
            assertThat(family.get("divergences")).hasSize(1);
            assertThat(divergence.get("sequence").asLong()).isEqualTo(2);
            assertThat(divergence.get("branches")).extracting(JsonNode::asText).containsExactly("s", edited, regenerated);
            assertThat(divergence.get("current").asInt()).isEqualTo(List.of("s", edited, regenerated).indexOf(shown));
        }
        JsonNode root = family("s").get("branches").get(0);
        assertThat(root.get("parentSessionId").isNull()).isTrue();
        assertThat(family(regenerated).get("branches").get(2).get("parentSessionId").asText()).isEqualTo(edited);
    }

    @Test
    void badInput_getsA4xxNamingTheArgument_andNothingIsWritten() throws Exception {
        twoTurns();
        String before = texts(store.readMessages("s", 0, 10));

        assertField(post("/api/branches/edit", "{\"sessionId\":\"s\",\"turnId\":\"nope\",\"text\":\"x\",\"newTurnId\":\"n1\"}"),
                404, "turnId", "turnId 'nope' names no turn");
        assertField(post("/api/branches/regenerate", "{\"sessionId\":\"s\",\"turnId\":\"nope\",\"newTurnId\":\"n2\"}"),
                404, "turnId", "names no turn");
        assertField(post("/api/branches/regenerate", "{\"sessionId\":\"nobody\",\"turnId\":\"t1\",\"newTurnId\":\"n3\"}"),
                404, "sessionId", "no conversation with sessionId 'nobody'");
        assertField(post("/api/branches/edit", "{\"sessionId\":\"s\",\"turnId\":\"t1\",\"text\":\"  \",\"newTurnId\":\"n4\"}"),
                400, "text", "text must not be blank");
        assertField(post("/api/branches/edit", "{\"sessionId\":\"s\",\"turnId\":\"t1\",\"newTurnId\":\"n5\"}"),
                400, "text", "text is required");
        assertField(post("/api/branches/regenerate", "{\"sessionId\":\"s\",\"turnId\":\"t1\"}"),
                400, "newTurnId", "newTurnId is required");
        assertField(post("/api/branches/regenerate", "{\"sessionId\":\"s\",\"turnId\":\"t1\",\"newTurnId\":\"t1\"}"),
                400, "newTurnId", "newTurnId must differ");
        assertField(post("/api/branches/regenerate", "{\"sessionId\":\"s\",\"turnId\":7,\"newTurnId\":\"n6\"}"),
                400, "turnId", "turnId is required and must be a string");
        assertThat(post("/api/branches/regenerate", "{not json").statusCode()).isEqualTo(400);
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/api/branches/edit")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
        HttpResponse<String> unknownFamily = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/api/branches?sessionId=nobody")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertField(unknownFamily, 404, "sessionId", "no conversation");

        assertThat(store.listForks("s", null, 10)).isEmpty();
        assertThat(texts(store.readMessages("s", 0, 10))).isEqualTo(before);
        assertThat(store.findConversation("nobody")).isEmpty();
        assertThat(calls).hasValue(2);
    }

    @Test
    void aTurnStillRunning_gets409NamingTheTurn_andNothingIsWritten() throws Exception {
        // a turn whose user message is stored and whose session's lease is held: it is still running
        store.appendMessages("busy", "es", List.of(Message.user("hola").withId("t9:user")));
        assertThat(store.tryAcquireLease("busy", "es", "someone", Duration.ofMinutes(1))).isTrue();

        assertField(post("/api/branches/regenerate", "{\"sessionId\":\"busy\",\"turnId\":\"t9\",\"newTurnId\":\"r9\"}"),
                409, "turnId", "still running");
        assertThat(store.listForks("busy", null, 10)).isEmpty();
        assertThat(store.readMessages("busy", 0, 10)).hasSize(1);
    }

    @Test
    void regenerate_withAStreamingTutor_streamsTheBranchsReply_andItCanBeResumedOnTheBranch() throws Exception {
        try (ChatServer streaming = ChatServer.start(0, store, new OfflineTutor(Duration.ofMillis(30)), Duration.ofMillis(20))) {
            assertThat(post("/api/chat", "{\"sessionId\":\"st\",\"language\":\"es\",\"text\":\"hola\",\"turnId\":\"t1\"}")
                    .statusCode()).isEqualTo(200);
            HttpResponse<Stream<String>> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + streaming.port() + "/api/branches/regenerate"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"sessionId\":\"st\",\"turnId\":\"t1\",\"newTurnId\":\"r1\"}")).build(),
                    HttpResponse.BodyHandlers.ofLines());
            List<SseEvents.Event> events = new SseEvents(response.body().iterator()).all();

            assertThat(events.get(0).name()).isEqualTo("branch");
            String branchId = events.get(0).data().get("sessionId").asText();
            assertThat(events.stream().filter(e -> e.name().equals("delta")).count()).isGreaterThan(1); // it streamed
            assertThat(SseEvents.text(events)).isEqualTo("¡Muy bien! ¿Qué hiciste hoy?");
            assertThat(events.get(events.size() - 1).data().get("reply").asText()).isEqualTo("¡Muy bien! ¿Qué hiciste hoy?");
            // the branch's turn is a turn as any: its stream is resumed on the branch
            HttpResponse<Stream<String>> resumed = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + streaming.port() + "/api/chat/stream?sessionId=" + branchId + "&turnId=r1&lastEventId=5")).GET().build(),
                    HttpResponse.BodyHandlers.ofLines());
            assertThat(SseEvents.text(new SseEvents(resumed.body().iterator()).all())).isEqualTo("bien! ¿Qué hiciste hoy?");
            assertThat(store.readMessages(branchId, 0, 10)).hasSize(2);
        }
    }

    private static void assertField(HttpResponse<String> response, int status, String field, String message) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("error").asText()).contains(message);
        assertThat(body.get("field").asText()).isEqualTo(field);
    }
}
