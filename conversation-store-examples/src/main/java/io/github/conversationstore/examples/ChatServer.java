package io.github.conversationstore.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
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
import io.github.conversationstore.spi.ReplyProvider;
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
 *   <li>{@code GET /} serves the page.</li>
 * </ul>
 * Invalid JSON or fields get a 400 with a message; a busy session 409; a failed provider 502.
 * Runs on {@code PORT} (default 8080); {@code MONGODB_URI} selects a server, else an embedded one.
 */
public final class ChatServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer http;
    private final ExecutorService workers = Executors.newFixedThreadPool(16);
    private final ConversationStore store;
    private final TurnService turns;

    private ChatServer(int port, ConversationStore store, ReplyProvider provider) throws IOException {
        this.store = store;
        this.turns = TurnService.builder(store).provider(provider).replyTimeout(Duration.ofSeconds(60)).build();
        this.http = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        http.createContext("/api/chat", this::chat);
        http.createContext("/api/history", this::history);
        http.createContext("/", this::page);
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
        return new ChatServer(port, store, provider);
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
            ConversationStore store = MongoConversationStore.builder()
                    .connectionString(embedded == null ? uri : embedded.connectionString()).database("chat").build();
            ChatServer server = start(port, store, provider);
            System.out.println("Chat server on http://127.0.0.1:" + server.port() + "/ with " + Providers.describe(provider)
                    + (embedded == null ? ", MongoDB at MONGODB_URI" : ", embedded MongoDB-compatible server")
                    + ". Ctrl-C stops it.");
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
                send(exchange, 405, error("use POST with a JSON body {sessionId, language, text}"));
                return;
            }
            JsonNode body;
            try (InputStream in = exchange.getRequestBody()) {
                body = JSON.readTree(in);
            } catch (JsonProcessingException e) {
                send(exchange, 400, error("invalid JSON: " + e.getOriginalMessage().replaceAll("\\s*\\(start marker at.*", "")
                        + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()));
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
                    send(exchange, 400, error(name + " is required and must be a string"));
                    return;
                }
                fields.put(name, value.asText());
            }
            if (fields.get("text").isBlank()) {
                send(exchange, 400, error("text must not be blank"));
                return;
            }
            JsonNode turnId = body.get("turnId");
            TurnResult turn;
            try {
                TurnRequest request = turnId != null && turnId.isTextual()
                        ? new TurnRequest(fields.get("sessionId"), fields.get("language"), fields.get("text"), turnId.asText())
                        : TurnRequest.of(fields.get("sessionId"), fields.get("language"), fields.get("text"));
                turn = turns.respond(request);
            } catch (IllegalArgumentException e) {
                send(exchange, 400, error(e.getMessage()));
                return;
            } catch (ConversationBusyException e) {
                send(exchange, 409, error(e.getMessage()));
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
                    .put("grammarSuggestion", turn.reply().message().grammarSuggestion().orElse(""))
                    .put("translation", turn.reply().message().translation().orElse(""))
                    .put("userSequence", turn.userMessage().sequence())
                    .put("replySequence", turn.reply().sequence());
            send(exchange, 200, reply);
        }
    }

    private void history(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod())) {
                send(exchange, 405, error("use GET /api/history?sessionId=..."));
                return;
            }
            String sessionId = query(exchange).get("sessionId");
            if (sessionId == null || sessionId.isBlank()) {
                send(exchange, 400, error("sessionId is required: GET /api/history?sessionId=..."));
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
                send(exchange, 400, error(e.getMessage()));
            } catch (ConversationStoreException e) {
                send(exchange, 503, error(e.getMessage()));
            }
        }
    }

    private void page(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"/".equals(exchange.getRequestURI().getPath())) {
                send(exchange, 404, error("not found: " + exchange.getRequestURI().getPath()));
                return;
            }
            byte[] html;
            try (InputStream in = ChatServer.class.getResourceAsStream("chat.html")) {
                html = in.readAllBytes();
            }
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, html.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(html);
            }
        }
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
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
