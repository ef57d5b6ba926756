package io.github.conversationstore.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A local stand-in for the Messages API: replays scripted HTTP responses to {@code POST /v1/messages}
 * in order and records the request bodies.
 */
final class MessagesApiStub implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Response(int status, Map<String, String> headers, String body, long delayMillis) {}

    private final HttpServer server;
    private final Deque<Response> script = new ArrayDeque<>();
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();

    MessagesApiStub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/v1/messages", exchange -> {
            try (exchange) {
                requests.add(JSON.readTree(exchange.getRequestBody()));
                Response next;
                synchronized (script) {
                    next = script.poll();
                }
                if (next == null) {
                    next = new Response(500, Map.of(), error("api_error", "stub script exhausted"), 0);
                }
                if (next.delayMillis() > 0) {
                    try {
                        Thread.sleep(next.delayMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                byte[] body = next.body().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                next.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
                exchange.sendResponseHeaders(next.status(), body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                } catch (IOException e) {
                    // the client gave up (timeout)
                }
            }
        });
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    MessagesApiStub then(int status, String body) {
        return then(new Response(status, status == 200 ? Map.of() : Map.of("retry-after-ms", "10"), body, 0));
    }

    MessagesApiStub then(Response response) {
        synchronized (script) {
            script.add(response);
        }
        return this;
    }

    List<JsonNode> requests() {
        return List.copyOf(requests);
    }

    static String error(String type, String message) {
        return "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message + "\"}}";
    }

    static String message(String stopReason, String contentJson) {
        return "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
                + "\"content\":" + contentJson + ",\"stop_reason\":\"" + stopReason + "\",\"stop_sequence\":null,"
                + "\"usage\":{\"input_tokens\":42,\"output_tokens\":17}}";
    }

    static String toolReply(String response, String grammar, String translation) {
        return message("tool_use", "[{\"type\":\"tool_use\",\"id\":\"toolu_01\",\"name\":\"tutor_reply\",\"input\":{"
                + "\"response\":\"" + response + "\",\"grammarSuggestion\":\"" + grammar + "\",\"translation\":\""
                + translation + "\"}}]");
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
