package io.github.conversationstore.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A local stand-in for the Messages API: replays scripted HTTP responses to {@code POST /v1/messages}
 * in order and records the request bodies. A request with {@code "stream": true} gets a scripted
 * message as the Messages API streams it: a {@code text/event-stream} body of Anthropic events
 * ({@code message_start}, per content block {@code content_block_start}, its deltas in small pieces
 * and {@code content_block_stop}, then {@code message_delta} with the stop reason and usage, and
 * {@code message_stop}), each event flushed on its own, {@link #pauseBetweenEvents} apart. A
 * scripted body that is already an event stream (it starts with {@code event:}) is sent as it is.
 */
final class MessagesApiStub implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper ASCII_JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII.mappedFeature());

    record Response(int status, Map<String, String> headers, String body, long delayMillis) {}

    private final HttpServer server;
    private final Deque<Response> script = new ArrayDeque<>();
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private volatile long pauseMillis;

    MessagesApiStub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/v1/messages", exchange -> {
            try (exchange) {
                JsonNode request = JSON.readTree(exchange.getRequestBody());
                requests.add(request);
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
                if (request.path("stream").asBoolean(false) && next.status() == 200) {
                    streamEvents(exchange, next);
                    return;
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

    /** Sends the scripted message as events, each flushed on its own; a client that left ends it. */
    private void streamEvents(HttpExchange exchange, Response next) throws IOException {
        List<String> events = next.body().startsWith("event:") ? List.of(next.body()) : events(next.body());
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        next.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            for (String event : events) {
                out.write(event.getBytes(StandardCharsets.UTF_8));
                out.flush();
                pause(pauseMillis);
            }
        } catch (IOException e) {
            // the client closed the stream
        }
    }

    private static void pause(long millis) {
        if (millis > 0) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The events the Messages API streams for this message (a JSON body as {@link #message} makes). */
    static List<String> events(String messageJson) {
        try {
            ObjectNode message = (ObjectNode) JSON.readTree(messageJson);
            List<String> events = new ArrayList<>();
            ObjectNode start = message.deepCopy();
            start.set("content", JSON.createArrayNode());
            start.putNull("stop_reason");
            ((ObjectNode) start.get("usage")).put("output_tokens", 1);
            events.add(event("message_start", JSON.createObjectNode().put("type", "message_start").set("message", start)));
            events.add(event("ping", JSON.createObjectNode().put("type", "ping")));
            int index = 0;
            for (JsonNode block : message.get("content")) {
                String type = block.get("type").asText();
                ObjectNode empty = JSON.createObjectNode().put("type", type);
                List<ObjectNode> deltas = new ArrayList<>();
                switch (type) {
                    case "text" -> {
                        empty.put("text", "");
                        for (String piece : pieces(block.get("text").asText(), 5)) {
                            deltas.add(JSON.createObjectNode().put("type", "text_delta").put("text", piece));
                        }
                    }
                    case "tool_use" -> {
                        empty.put("id", block.get("id").asText()).put("name", block.get("name").asText())
                                .set("input", JSON.createObjectNode());
                        // escaped as ASCII and cut in 6-character pieces: escapes and surrogate pairs are split
                        String input = ASCII_JSON.writeValueAsString(block.get("input"));
                        for (int i = 0; i < input.length(); i += 6) {
                            deltas.add(JSON.createObjectNode().put("type", "input_json_delta")
                                    .put("partial_json", input.substring(i, Math.min(input.length(), i + 6))));
                        }
                    }
                    case "thinking" -> {
                        empty.put("thinking", "").put("signature", "");
                        for (String piece : pieces(block.get("thinking").asText(), 8)) {
                            deltas.add(JSON.createObjectNode().put("type", "thinking_delta").put("thinking", piece));
                        }
                        deltas.add(JSON.createObjectNode().put("type", "signature_delta")
                                .put("signature", block.get("signature").asText()));
                    }
                    default -> throw new IllegalArgumentException("the stub does not stream " + type + " blocks");
                }
                events.add(event("content_block_start", JSON.createObjectNode().put("type", "content_block_start")
                        .put("index", index).set("content_block", empty)));
                for (ObjectNode delta : deltas) {
                    events.add(event("content_block_delta", JSON.createObjectNode().put("type", "content_block_delta")
                            .put("index", index).set("delta", delta)));
                }
                events.add(event("content_block_stop", JSON.createObjectNode().put("type", "content_block_stop")
                        .put("index", index)));
                index++;
            }
            ObjectNode delta = JSON.createObjectNode().put("type", "message_delta");
            delta.set("delta", JSON.createObjectNode().set("stop_reason", message.get("stop_reason")));
            ((ObjectNode) delta.get("delta")).putNull("stop_sequence");
            delta.set("usage", JSON.createObjectNode().put("output_tokens", message.get("usage").get("output_tokens").asLong()));
            events.add(event("message_delta", delta));
            events.add(event("message_stop", JSON.createObjectNode().put("type", "message_stop")));
            return events;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An event of the stream, as the Messages API frames it. */
    static String event(String name, JsonNode data) {
        return "event: " + name + "\ndata: " + data + "\n\n";
    }

    /** The text in pieces of this many code points. */
    static List<String> pieces(String text, int codePoints) {
        List<String> pieces = new ArrayList<>();
        int at = 0;
        while (at < text.length()) {
            int end = text.offsetByCodePoints(at, Math.min(codePoints, text.codePointCount(at, text.length())));
            pieces.add(text.substring(at, end));
            at = end;
        }
        return pieces;
    }

    /** Pauses this long after each event of a streamed answer. */
    MessagesApiStub pauseBetweenEvents(Duration pause) {
        this.pauseMillis = pause.toMillis();
        return this;
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
