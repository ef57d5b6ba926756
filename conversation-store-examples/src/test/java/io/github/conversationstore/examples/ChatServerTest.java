package io.github.conversationstore.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import io.github.conversationstore.Message;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.StreamingReplyProvider;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
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
    // ---- streaming: POST/GET /api/chat/stream, POST /api/chat/stop ----

    /** A long reply with a character beyond the BMP, so that offsets in code points differ from UTF-16 units. */
    static final String LONG_REPLY = "Uno 😀 dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce"
            + " quince dieciséis diecisiete dieciocho diecinueve veinte veintiuno veintidós veintitrés.";

    /** Streams {@link #LONG_REPLY} word by word, this long apart. */
    static final class SlowTutor implements StreamingReplyProvider {
        private final Duration pause;

        SlowTutor(Duration pause) {
            this.pause = pause;
        }

        @Override
        public Reply stream(ReplyRequest request, Consumer<String> deltas) {
            for (String word : OfflineTutor.words(LONG_REPLY)) {
                try {
                    Thread.sleep(pause.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ReplyProviderException("interrupted", true, e);
                }
                deltas.accept(word);
            }
            return Reply.of(LONG_REPLY).withAttribute(TutorAttributes.TRANSLATION, "One to twenty-three.");
        }
    }

    private ChatServer streaming;

    private ChatServer streamingServer(Duration pause) throws Exception {
        streaming = ChatServer.start(0, store, new SlowTutor(pause), Duration.ofMillis(20));
        return streaming;
    }

    @AfterEach
    void stopStreaming() {
        if (streaming != null) {
            streaming.close();
        }
    }

    private static String turnBody(String session, String turnId) {
        return "{\"sessionId\":\"" + session + "\",\"language\":\"es\",\"text\":\"cuenta\",\"turnId\":\"" + turnId + "\"}";
    }

    private HttpResponse<Stream<String>> openStream(ChatServer on, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + on.port() + "/api/chat/stream"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofLines());
    }

    private HttpResponse<Stream<String>> resumeStream(ChatServer on, String query, String lastEventId) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + on.port() + "/api/chat/stream?" + query));
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofLines());
    }

    private HttpResponse<String> postTo(ChatServer on, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + on.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private List<StoredMessage> replies(String session) {
        return store.readMessages(session, 0, 100).stream().filter(m -> m.role() == Role.ASSISTANT).toList();
    }

    @Test
    void stream_deltaEventsCarryTheCodePointOffsetAfterThem_andDoneIsTheChatReply() throws Exception {
        ChatServer on = streamingServer(Duration.ofMillis(15));

        HttpResponse<Stream<String>> response = openStream(on, turnBody("stream-1", "t-1"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        List<SseEvents.Event> events = new SseEvents(response.body().iterator()).all();
        List<SseEvents.Event> deltas = events.stream().filter(e -> e.name().equals("delta")).toList();
        assertThat(deltas).hasSizeGreaterThan(3); // it streamed: the text came in pieces
        long offset = 0;
        for (SseEvents.Event delta : deltas) {
            offset += delta.text().codePointCount(0, delta.text().length());
            assertThat(delta.offset()).isEqualTo(offset);
        }
        assertThat(SseEvents.text(events)).isEqualTo(LONG_REPLY);
        assertThat(offset).isEqualTo(LONG_REPLY.codePointCount(0, LONG_REPLY.length())).isLessThan(LONG_REPLY.length());
        SseEvents.Event done = events.get(events.size() - 1);
        assertThat(done.name()).isEqualTo("done");
        assertThat(done.data().get("reply").asText()).isEqualTo(LONG_REPLY);
        assertThat(done.data().get("translation").asText()).isEqualTo("One to twenty-three.");
        assertThat(done.data().get("turnId").asText()).isEqualTo("t-1");
        assertThat(done.data().get("userSequence").asLong()).isZero();
        assertThat(done.data().get("replySequence").asLong()).isEqualTo(1);
        assertThat(replies("stream-1")).singleElement().satisfies(r -> assertThat(r.text()).isEqualTo(LONG_REPLY));
    }

    @Test
    void resume_withLastEventIdFromTheMiddle_continuesWithoutGapOrRepeat() throws Exception {
        ChatServer on = streamingServer(Duration.ofMillis(40));
        SseEvents first = new SseEvents(openStream(on, turnBody("stream-2", "t-2")).body().iterator());
        List<SseEvents.Event> before = first.until(e -> e.name().equals("delta") && e.offset() >= 10);
        SseEvents.Event last = before.get(before.size() - 1);
        assertThat(last.offset()).isLessThan(LONG_REPLY.codePointCount(0, LONG_REPLY.length()) / 2); // the middle

        HttpResponse<Stream<String>> resumed = resumeStream(on, "sessionId=stream-2&turnId=t-2", last.id());
        List<SseEvents.Event> after = new SseEvents(resumed.body().iterator()).all();

        assertThat(resumed.statusCode()).isEqualTo(200);
        assertThat(after.get(0).name()).isEqualTo("delta");
        assertThat(after.get(0).offset()).isGreaterThan(last.offset());
        assertThat(SseEvents.text(before) + SseEvents.text(after)).isEqualTo(LONG_REPLY);
        assertThat(after.get(after.size() - 1).name()).isEqualTo("done");
        assertThat(after.get(after.size() - 1).data().get("reply").asText()).isEqualTo(LONG_REPLY);
        // the first stream, still open, ends with the same reply: one turn, one reply
        assertThat(SseEvents.text(before) + SseEvents.text(first.all())).isEqualTo(LONG_REPLY);
        assertThat(replies("stream-2")).hasSize(1);
    }

    @Test
    void resume_afterTheTurnEnded_givesTheRestOfTheStoredReply() throws Exception {
        ChatServer on = streamingServer(Duration.ofMillis(1));
        new SseEvents(openStream(on, turnBody("stream-3", "t-3")).body().iterator()).all();

        List<SseEvents.Event> rest = new SseEvents(resumeStream(on, "sessionId=stream-3&turnId=t-3", "4").body().iterator()).all();
        assertThat(rest).extracting(SseEvents.Event::name).containsExactly("delta", "done");
        assertThat(rest.get(0).text()).isEqualTo(LONG_REPLY.substring(LONG_REPLY.offsetByCodePoints(0, 4)));
        assertThat(rest.get(0).offset()).isEqualTo(LONG_REPLY.codePointCount(0, LONG_REPLY.length()));
        assertThat(rest.get(1).data().get("userSequence").asLong()).isZero();

        // the query parameter works as the header does; without either, from the start
        List<SseEvents.Event> fromQuery = new SseEvents(
                resumeStream(on, "sessionId=stream-3&turnId=t-3&lastEventId=6", null).body().iterator()).all();
        assertThat(fromQuery.get(0).text()).isEqualTo(LONG_REPLY.substring(LONG_REPLY.offsetByCodePoints(0, 6)));
        List<SseEvents.Event> whole = new SseEvents(resumeStream(on, "sessionId=stream-3&turnId=t-3", null).body().iterator()).all();
        assertThat(SseEvents.text(whole)).isEqualTo(LONG_REPLY);
        // a server started later (another process) finds the ended turn in the store too
        try (ChatServer other = ChatServer.start(0, store, new SlowTutor(Duration.ofMillis(1)), Duration.ofMillis(20))) {
            List<SseEvents.Event> elsewhere = new SseEvents(
                    resumeStream(other, "sessionId=stream-3&turnId=t-3", "0").body().iterator()).all();
            assertThat(SseEvents.text(elsewhere)).isEqualTo(LONG_REPLY);
        }
        assertThat(replies("stream-3")).hasSize(1);
    }

    @Test
    void stop_storesThePartialReplyMarkedStopped_andTheStreamEndsWithIt() throws Exception {
        ChatServer on = streamingServer(Duration.ofMillis(60));
        SseEvents events = new SseEvents(openStream(on, turnBody("stream-4", "t-4")).body().iterator());
        List<SseEvents.Event> before = events.until(e -> e.name().equals("delta"));

        HttpResponse<String> stop = postTo(on, "/api/chat/stop", "{\"sessionId\":\"stream-4\",\"turnId\":\"t-4\"}");

        assertThat(stop.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(stop.body()).get("stopped").asBoolean()).isTrue();
        List<SseEvents.Event> rest = events.all();
        SseEvents.Event done = rest.get(rest.size() - 1);
        assertThat(done.name()).isEqualTo("done");
        assertThat(done.data().get("finishReason").asText()).isEqualTo("stopped");
        String partial = done.data().get("reply").asText();
        assertThat(partial).isNotEmpty().isNotEqualTo(LONG_REPLY);
        assertThat(LONG_REPLY).startsWith(partial);
        assertThat(SseEvents.text(before) + SseEvents.text(rest)).isEqualTo(partial);
        assertThat(replies("stream-4")).singleElement().satisfies(r -> {
            assertThat(r.text()).isEqualTo(partial);
            assertThat(r.message().metadata()).containsEntry(Message.FINISH_REASON, TurnService.STOPPED);
        });
        // once it ended, nothing is left to stop
        assertThat(JSON.readTree(postTo(on, "/api/chat/stop", "{\"sessionId\":\"stream-4\",\"turnId\":\"t-4\"}").body())
                .get("stopped").asBoolean()).isFalse();
    }

    @Test
    void clientDisconnectMidStream_leavesTheTurnToFinish_withOneReply() throws Exception {
        ChatServer on = streamingServer(Duration.ofMillis(30));
        byte[] body = turnBody("stream-5", "t-5").getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", on.port())) {
            socket.getOutputStream().write(("POST /api/chat/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.equals("event: delta")) {
                // the headers, then events until the first delta
            }
            assertThat(line).isEqualTo("event: delta");
        } // the client is gone, mid-stream
        assertThat(replies("stream-5")).isEmpty(); // it was mid-stream indeed

        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (replies("stream-5").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(replies("stream-5")).singleElement().satisfies(r -> assertThat(r.text()).isEqualTo(LONG_REPLY));
        // and the client coming back gets it all
        assertThat(SseEvents.text(new SseEvents(resumeStream(on, "sessionId=stream-5&turnId=t-5", "0").body().iterator()).all()))
                .isEqualTo(LONG_REPLY);
        assertThat(store.readMessages("stream-5", 0, 100)).hasSize(2);
    }

    @Test
    void stream_aProviderCalledAgain_sendsRestart_andTheTextAfterItIsTheStoredReply() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        SlowTutor slow = new SlowTutor(Duration.ofMillis(5));
        StreamingReplyProvider failingOnce = new StreamingReplyProvider() {
            @Override
            public Reply stream(ReplyRequest request, Consumer<String> deltas) {
                if (attempts.incrementAndGet() == 1) {
                    deltas.accept("Primero, ");
                    try {
                        Thread.sleep(300); // long enough for the stream to show it
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new ReplyProviderException("the model went away", true, null);
                }
                return slow.stream(request, deltas);
            }
        };
        streaming = ChatServer.start(0, store, failingOnce, Duration.ofMillis(20));

        List<SseEvents.Event> events = new SseEvents(openStream(streaming, turnBody("stream-9", "t-9")).body().iterator()).all();

        assertThat(events.get(0).name()).isEqualTo("delta");
        assertThat(events.get(0).text()).isEqualTo("Primero, ");
        int restart = events.stream().map(SseEvents.Event::name).toList().lastIndexOf("restart");
        assertThat(restart).isPositive();
        assertThat(events.get(restart).id()).isEqualTo("0");
        List<SseEvents.Event> after = events.subList(restart + 1, events.size());
        assertThat(SseEvents.text(after)).isEqualTo(LONG_REPLY);
        assertThat(after.get(0).offset()).isEqualTo(after.get(0).text().codePointCount(0, after.get(0).text().length()));
        assertThat(after.get(after.size() - 1).data().get("reply").asText()).isEqualTo(LONG_REPLY);
        assertThat(attempts).hasValue(2);
        assertThat(replies("stream-9")).singleElement().satisfies(r -> assertThat(r.text()).isEqualTo(LONG_REPLY));
    }

    @Test
    void resume_ofATurnThatFailedElsewhere_resumesItByItsId_withOneReply() throws Exception {
        try (TurnService elsewhere = TurnService.builder(store).maxProviderAttempts(1)
                .provider((io.github.conversationstore.spi.ReplyProvider) request -> {
                    throw new ReplyProviderException("the process went away", true, null);
                }).build()) {
            assertThatThrownBy(() -> elsewhere.respond("stream-10", "es", "cuenta", "t-10"))
                    .isInstanceOf(io.github.conversationstore.ReplyFailedException.class);
        }
        assertThat(store.readMessages("stream-10", 0, 10)).extracting(StoredMessage::text).containsExactly("cuenta");
        ChatServer on = streamingServer(Duration.ofMillis(2));

        List<SseEvents.Event> events = new SseEvents(resumeStream(on, "sessionId=stream-10&turnId=t-10", "0").body().iterator()).all();

        assertThat(SseEvents.text(events)).isEqualTo(LONG_REPLY);
        assertThat(events.get(events.size() - 1).name()).isEqualTo("done");
        assertThat(events.get(events.size() - 1).data().get("userSequence").asLong()).isZero();
        assertThat(store.readMessages("stream-10", 0, 10)).extracting(StoredMessage::text).containsExactly("cuenta", LONG_REPLY);
    }

    @Test
    void stream_ofAProviderThatDoesNotStream_givesTheWholeReplyAsOneDelta() throws Exception {
        List<SseEvents.Event> events = new SseEvents(openStream(server, turnBody("stream-6", "t-6")).body().iterator()).all();

        assertThat(events).extracting(SseEvents.Event::name).containsExactly("delta", "done");
        assertThat(events.get(0).text()).isEqualTo("echo: cuenta");
        assertThat(events.get(0).offset()).isEqualTo("echo: cuenta".length());
        assertThat(events.get(1).data().get("reply").asText()).isEqualTo("echo: cuenta");
    }

    @Test
    void stream_aTurnTheLibraryRefuses_endsWithAnErrorEventNamingTheField() throws Exception {
        String tooLong = "a".repeat(70_000);
        List<SseEvents.Event> events = new SseEvents(openStream(server,
                "{\"sessionId\":\"stream-7\",\"language\":\"es\",\"text\":\"" + tooLong + "\",\"turnId\":\"t-7\"}")
                .body().iterator()).all();

        assertThat(events).extracting(SseEvents.Event::name).containsExactly("error");
        assertThat(events.get(0).data().get("status").asInt()).isEqualTo(400);
        assertThat(events.get(0).data().get("field").asText()).isEqualTo("text");
    }

    @Test
    void streamBadInput_gets400Or404NamingTheField() throws Exception {
        new SseEvents(openStream(server, turnBody("stream-8", "t-8")).body().iterator()).all();

        assertField(streamGet("sessionId=stream-8&turnId=nope", null), 404, "turnId", "no turn 'nope'");
        assertField(streamGet("sessionId=nobody&turnId=t-8", null), 404, "turnId", "no turn");
        assertField(streamGet("sessionId=stream-8", null), 400, "turnId", "turnId is required");
        assertField(streamGet("turnId=t-8", null), 400, "sessionId", "sessionId is required");
        assertField(streamGet("sessionId=stream-8&turnId=t-8", "-1"), 400, "Last-Event-ID", "a number of 0 or more");
        assertField(streamGet("sessionId=stream-8&turnId=t-8", "abc"), 400, "Last-Event-ID", "was 'abc'");
        assertField(streamGet("sessionId=stream-8&turnId=t-8&lastEventId=1.5", null), 400, "lastEventId", "a number");
        assertField(postTo(server, "/api/chat/stream", "{\"sessionId\":\"s\",\"language\":\"es\",\"text\":\"hola\"}"),
                400, "turnId", "turnId is required");
        assertField(postTo(server, "/api/chat/stream", "{\"sessionId\":\"s\",\"language\":\"es\",\"turnId\":\"x\"}"),
                400, "text", "text is required");
        assertField(postTo(server, "/api/chat/stream", "{\"sessionId\":\"s\",\"language\":\"es\",\"text\":\"hola\",\"turnId\":7}"),
                400, "turnId", "must be a string");
        assertField(postTo(server, "/api/chat/stop", "{\"sessionId\":\"s\"}"), 400, "turnId", "turnId is required");
        assertField(postTo(server, "/api/chat/stop", "{\"turnId\":\"x\"}"), 400, "sessionId", "sessionId is required");
        HttpResponse<String> unknown = postTo(server, "/api/chat/stop", "{\"sessionId\":\"s\",\"turnId\":\"x\"}");
        assertThat(unknown.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(unknown.body()).get("stopped").asBoolean()).isFalse();
        HttpResponse<String> put = send("/api/chat/stream", "PUT");
        assertError(put, 405, "use POST");
        assertThat(put.headers().firstValue("Allow")).hasValue("GET, POST");
    }

    private HttpResponse<String> streamGet(String query, String lastEventId) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/chat/stream?" + query));
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertField(HttpResponse<String> response, int status, String field, String message) throws Exception {
        assertError(response, status, message);
        assertThat(JSON.readTree(response.body()).get("field").asText()).isEqualTo(field);
    }
}
