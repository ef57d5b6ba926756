package io.github.conversationstore.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * One {@code text/event-stream} answer: events written and flushed one at a time, each
 * {@code event:}, optional {@code id:} and one {@code data:} line of compact JSON (a JSON string
 * escapes its line breaks, so one line always holds it). A write that fails (the client left)
 * throws {@link UncheckedIOException}. Not thread-safe: the handler's thread writes.
 */
final class SseStream {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a browser's EventSource waits before it reconnects. */
    private static final int RETRY_MILLIS = 1000;

    private final OutputStream out;

    private SseStream(OutputStream out) {
        this.out = out;
    }

    /** Sends the 200 headers of an event stream, and the reconnection delay. */
    static SseStream open(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.getResponseHeaders().set("X-Accel-Buffering", "no"); // a proxy in front must not buffer it
        exchange.sendResponseHeaders(200, 0); // chunked: the length is not known
        SseStream stream = new SseStream(exchange.getResponseBody());
        stream.write("retry: " + RETRY_MILLIS + "\n\n");
        return stream;
    }

    /**
     * Writes an event.
     *
     * @param name the event's name
     * @param id its id (what a client sends back as {@code Last-Event-ID}), or null for none
     * @param data its data
     */
    void event(String name, String id, JsonNode data) {
        try {
            write("event: " + name + "\n" + (id == null ? "" : "id: " + id + "\n") + "data: "
                    + JSON.writeValueAsString(data) + "\n\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree did not serialize", e);
        }
    }

    /** A comment line: keeps an idle connection open, and finds out whether the client is still there. */
    void keepAlive() {
        write(": keep-alive\n\n");
    }

    private void write(String text) {
        try {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
