package io.github.conversationstore.examples;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.github.conversationstore.AppendConflictException;
import io.github.conversationstore.ConversationBusyException;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreException;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.ReplyFailedException;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.TurnRequest;
import io.github.conversationstore.TurnResult;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.observability.MicrometerStoreListener;
import io.github.conversationstore.spi.ReplyProvider;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP chat server mirroring the original backend's text route, with a small browser page:
 * <ul>
 *   <li>{@code POST /api/chat} with {@code {"sessionId", "language", "text"}} (and optionally
 *       {@code "turnId"} to make a retry safe) answers {@code {"sessionId", "reply",
 *       "grammarSuggestion", "translation", "userSequence", "replySequence", "turnId"}};</li>
 *   <li>{@code GET /api/history?sessionId=...} answers the stored conversation;</li>
 *   <li>{@code GET /metrics} answers the store's and the turns' meters in Prometheus text format;</li>
 *   <li>{@code GET /} serves the page.</li>
 * </ul>
 * Every error is a JSON object {@code {"error": "..."}}: invalid JSON (trailing text included) or
 * fields 400 (a numeric {@code turnId} too: turn ids are strings), naming the field at fault in
 * {@code "field"} ({@code sessionId}, {@code language}, {@code text} or {@code turnId}) and in the
 * message, never a path of the library's own model; a body over 512 KiB 413; a busy
 * session 409; a {@code turnId} reused with another text 409; a {@code language} other than the
 * one an existing session was started in 409 (the stored language is kept: start a new session to
 * change it); a failed provider 502; a wrong method 405 with an {@code Allow} header.
 * Runs on {@code PORT} (default 8080); {@code MONGODB_URI} selects a server, else an embedded one.
 */
public final class ChatServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Largest request body: a text of 65,536 bytes fits even with every character escaped. */
    static final int MAX_BODY_BYTES = 512 * 1024;
    /** Largest rest of a too large body that is read and dropped before the 413 answer. */
    private static final long MAX_DRAINED_BYTES = 64L * 1024 * 1024;

    private final HttpServer http;
    private final ExecutorService workers = Executors.newFixedThreadPool(16);
    private final ConversationStore store;
    private final TurnService turns;
    private final PrometheusMeterRegistry metrics;

    private ChatServer(int port, ConversationStore store, ReplyProvider provider, PrometheusMeterRegistry metrics,
            MicrometerStoreListener meters) throws IOException {
        this.store = store;
        this.metrics = metrics;
        this.turns = TurnService.builder(store).provider(provider).replyTimeout(Duration.ofSeconds(60)).listener(meters)
                .build();
        this.http = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        http.createContext("/api/chat", answeringErrors(this::chat));
        http.createContext("/api/history", answeringErrors(this::history));
        http.createContext("/metrics", answeringErrors(this::metrics));
        http.createContext("/", answeringErrors(this::page));
        http.setExecutor(workers);
        http.start();
    }

    /**
     * Starts a server on this port (0 for any free one) over this store and provider.
     *
     * @param port the port
     * @param store the store
     * @param provider the tutor
     * @return the running server
     * @throws IOException if the port cannot be bound
     */
    static ChatServer start(int port, ConversationStore store, ReplyProvider provider) throws IOException {
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        return new ChatServer(port, store, provider, metrics, MicrometerStoreListener.create(metrics));
    }

    /**
     * Starts a server whose {@code /metrics} shows this registry, where {@code meters} records (the
     * store should have been built with the same listener, so that its appends and reads show too).
     *
     * @param port the port
     * @param store the store
     * @param provider the tutor
     * @param metrics the registry {@code /metrics} shows
     * @param meters the listener the turn service reports to
     * @return the running server
     * @throws IOException if the port cannot be bound
     */
    static ChatServer start(int port, ConversationStore store, ReplyProvider provider, PrometheusMeterRegistry metrics,
            MicrometerStoreListener meters) throws IOException {
        return new ChatServer(port, store, provider, metrics, meters);
    }

    int port() {
        return http.getAddress().getPort();
    }

    public static void main(String[] args) {
        try {
            int port = Integer.parseInt(args.length > 0 ? args[0] : System.getenv().getOrDefault("PORT", "8080"));
            String uri = System.getenv("MONGODB_URI");
            EmbeddedServer embedded = uri == null || uri.isBlank() ? EmbeddedServer.inMemory() : null;
            ReplyProvider provider = Providers.fromEnvironment();
            PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            MicrometerStoreListener meters = MicrometerStoreListener.create(metrics);
            ConversationStore store = MongoConversationStore.builder()
                    .connectionString(embedded == null ? uri : embedded.connectionString()).database("chat")
                    .listener(meters).build();
            ChatServer server = start(port, store, provider, metrics, meters);
            System.out.println("Chat server on http://127.0.0.1:" + server.port() + "/ with " + Providers.describe(provider)
                    + (embedded == null ? ", MongoDB at MONGODB_URI" : ", embedded MongoDB-compatible server")
                    + "; metrics at /metrics. Ctrl-C stops it.");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                store.close();
                if (embedded != null) {
                    embedded.close();
                }
            }));
        } catch (NumberFormatException e) {
            System.err.println("error: the port must be a number: " + e.getMessage());
            System.exit(1);
        } catch (IOException | RuntimeException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }

    private void chat(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                refuseMethod(exchange, "POST", "use POST with a JSON body {sessionId, language, text}");
                return;
            }
            byte[] raw = readBody(exchange);
            if (raw == null) {
                send(exchange, 413, error("the request body is larger than " + MAX_BODY_BYTES + " bytes"));
                return;
            }
            JsonNode body;
            try {
                body = JSON.readTree(raw);
            } catch (JsonProcessingException e) {
                send(exchange, 400, error("invalid JSON: " + describe(e)));
                return;
            }
            if (body == null || !body.isObject()) {
                send(exchange, 400, error("the body must be a JSON object {sessionId, language, text}"));
                return;
            }
            Map<String, String> fields = new HashMap<>();
            for (String name : List.of("sessionId", "language", "text")) {
                JsonNode value = body.get(name);
                if (value == null || !value.isTextual()) {
                    send(exchange, 400, error(name + " is required and must be a string").put("field", name));
                    return;
                }
                fields.put(name, value.asText());
            }
            if (fields.get("text").isBlank()) {
                send(exchange, 400, error("text must not be blank").put("field", "text"));
                return;
            }
            JsonNode turnId = body.get("turnId");
            if (turnId != null && !turnId.isTextual()) {
                send(exchange, 400, error("turnId must be a string when given").put("field", "turnId"));
                return;
            }
            TurnResult turn;
            try {
                TurnRequest request = turnId != null
                        ? new TurnRequest(fields.get("sessionId"), fields.get("language"), fields.get("text"), turnId.asText())
                        : TurnRequest.of(fields.get("sessionId"), fields.get("language"), fields.get("text"));
                Optional<String> otherLanguage = store.findConversation(request.sessionId())
                        .map(ConversationHeader::language)
                        .filter(stored -> !stored.equalsIgnoreCase(request.language()));
                if (otherLanguage.isPresent()) {
                    send(exchange, 409, error("session '" + request.sessionId() + "' is in " + otherLanguage.get()
                            + ", not " + request.language() + ": start a new session to change the language")
                            .put("language", otherLanguage.get()));
                    return;
                }
                turn = turns.respond(request);
            } catch (IllegalArgumentException e) {
                send(exchange, 400, rejected(e.getMessage()));
                return;
            } catch (ConversationBusyException e) {
                send(exchange, 409, error(e.getMessage()));
                return;
            } catch (AppendConflictException e) {
                send(exchange, 409, error("turnId '" + turnId.asText() + "' was used before with other text:"
                        + " send a new turnId with a new message"));
                return;
            } catch (ReplyFailedException e) {
                send(exchange, 502, error(e.getMessage()).put("turnId", e.turnId()).put("retryable", e.isRetryable()));
                return;
            } catch (ConversationStoreException e) {
                send(exchange, 503, error(e.getMessage()));
                return;
            }
            ObjectNode reply = JSON.createObjectNode()
                    .put("sessionId", fields.get("sessionId"))
                    .put("turnId", turn.turnId())
                    .put("reply", turn.reply().text())
                    .put("grammarSuggestion", turn.reply().message().attribute(TutorAttributes.GRAMMAR_SUGGESTION).orElse(""))
                    .put("translation", turn.reply().message().attribute(TutorAttributes.TRANSLATION).orElse(""))
                    .put("userSequence", turn.userMessage().sequence())
                    .put("replySequence", turn.reply().sequence());
            send(exchange, 200, reply);
        }
    }

    /**
     * Reads the body, or returns null when it is larger than {@link #MAX_BODY_BYTES}. The rest of a
     * too large body is read and dropped (up to {@link #MAX_DRAINED_BYTES}) so that the client,
     * still sending, gets the answer rather than a reset connection.
     */
    private static byte[] readBody(HttpExchange exchange) throws IOException {
        long declared = declaredLength(exchange);
        try (InputStream in = exchange.getRequestBody()) {
            if (declared > MAX_BODY_BYTES) {
                drain(in, declared);
                return null;
            }
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                drain(in, MAX_DRAINED_BYTES);
                return null;
            }
            return bytes;
        }
    }

    private static long declaredLength(HttpExchange exchange) {
        try {
            String length = exchange.getRequestHeaders().getFirst("Content-Length");
            return length == null ? -1 : Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void drain(InputStream in, long bytes) throws IOException {
        if (bytes > MAX_DRAINED_BYTES) {
            return; // not worth reading: the connection is closed after the answer
        }
        byte[] buffer = new byte[64 * 1024];
        long left = bytes;
        int read;
        while (left > 0 && (read = in.read(buffer, 0, (int) Math.min(buffer.length, left))) != -1) {
            left -= read;
        }
    }

    /** The fields of a chat request, as its 400 answers name them. */
    private static final List<String> REQUEST_FIELDS = List.of("sessionId", "language", "text", "turnId");

    /**
     * A 400 body for a request the library refused: its message in the request's own terms (the
     * library names the paths of its own model, such as {@code messages[0].text}, which is the
     * request's {@code text} here), and {@code "field"}, the request field at fault, when known.
     */
    static ObjectNode rejected(String libraryMessage) {
        String message = String.valueOf(libraryMessage)
                .replaceAll("\\bmessages\\[\\d+\\]\\.text\\b", "text")
                .replaceAll("\\bmessages\\[\\d+\\](\\.\\w+)*", "text")
                .replaceAll("\\b\\w+\\[\\d+\\](\\.\\w+)*", "the message");
        ObjectNode body = error(message);
        REQUEST_FIELDS.stream().filter(name -> message.startsWith(name + " ")).findFirst()
                .ifPresent(name -> body.put("field", name));
        return body;
    }

    /** Jackson's message without its source excerpt, and the position when Jackson knows it. */
    private static String describe(JsonProcessingException e) {
        String message = String.valueOf(e.getOriginalMessage()).replaceAll("\\s*\\(start marker at.*", "").strip();
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 1 ? message
                : message + " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    }

    private void history(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod())) {
                refuseMethod(exchange, "GET", "use GET /api/history?sessionId=...");
                return;
            }
            String sessionId = query(exchange).get("sessionId");
            if (sessionId == null || sessionId.isBlank()) {
                send(exchange, 400, error("sessionId is required: GET /api/history?sessionId=...").put("field", "sessionId"));
                return;
            }
            try {
                Optional<ConversationHeader> header = store.findConversation(sessionId);
                if (header.isEmpty()) {
                    send(exchange, 404, error("no conversation with sessionId '" + sessionId + "'"));
                    return;
                }
                ArrayNode messages = JSON.createArrayNode();
                long next = 0;
                List<StoredMessage> page;
                do {
                    page = store.readMessages(sessionId, next, 500);
                    for (StoredMessage m : page) {
                        ObjectNode node = messages.addObject()
                                .put("sequence", m.sequence())
                                .put("role", m.role().wireName())
                                .put("text", m.text())
                                .put("timestamp", m.message().timestamp().toString());
                        m.message().attributes().forEach(node::put);
                        next = m.sequence() + 1;
                    }
                } while (page.size() == 500);
                ObjectNode body = JSON.createObjectNode()
                        .put("sessionId", sessionId)
                        .put("language", header.get().language())
                        .put("messageCount", header.get().messageCount());
                body.set("messages", messages);
                send(exchange, 200, body);
            } catch (IllegalArgumentException e) {
                send(exchange, 400, rejected(e.getMessage()));
            } catch (ConversationStoreException e) {
                send(exchange, 503, error(e.getMessage()));
            }
        }
    }

    /** The meters in Prometheus text format (version 0.0.4): what a Prometheus server scrapes. */
    private void metrics(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"/metrics".equals(exchange.getRequestURI().getPath())) {
                send(exchange, 404, error("not found: " + exchange.getRequestURI().getPath()));
                return;
            }
            String method = exchange.getRequestMethod();
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                refuseMethod(exchange, "GET, HEAD", "use GET /metrics");
                return;
            }
            send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape().getBytes(StandardCharsets.UTF_8));
        }
    }

    private void page(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"/".equals(exchange.getRequestURI().getPath())) {
                send(exchange, 404, error("not found: " + exchange.getRequestURI().getPath()));
                return;
            }
            String method = exchange.getRequestMethod();
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                refuseMethod(exchange, "GET, HEAD", "use GET / for the chat page");
                return;
            }
            byte[] html;
            try (InputStream in = ChatServer.class.getResourceAsStream("chat.html")) {
                html = in.readAllBytes();
            }
            send(exchange, 200, "text/html; charset=utf-8", html);
        }
    }

    /** A handler that answers an unexpected failure with a JSON 500 rather than a closed connection. */
    private static HttpHandler answeringErrors(HttpHandler handler) {
        return exchange -> {
            try {
                handler.handle(exchange);
            } catch (RuntimeException e) {
                if (exchange.getResponseCode() == -1) {
                    send(exchange, 500, error("internal error: " + e));
                }
                exchange.close();
            }
        };
    }

    private static void refuseMethod(HttpExchange exchange, String allowed, String message) throws IOException {
        exchange.getResponseHeaders().set("Allow", allowed);
        send(exchange, 405, error(message));
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        send(exchange, status, "application/json; charset=utf-8", JSON.writeValueAsBytes(body));
    }

    /** Sends a response; to a HEAD request, its headers only (a length there makes the server warn). */
    private static void send(HttpExchange exchange, int status, String contentType, byte[] bytes) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        if ("HEAD".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> params = new HashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return params;
    }

    /** Stops the server and the turn service; the store is the caller's. */
    @Override
    public void close() {
        http.stop(0);
        turns.close();
        workers.shutdownNow();
    }
}
