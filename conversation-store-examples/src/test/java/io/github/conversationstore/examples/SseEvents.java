package io.github.conversationstore.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Predicate;

/** Reads {@code text/event-stream} lines as events, one at a time (for the chat server's tests). */
final class SseEvents {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One event: its name, its id (null if none) and its data as JSON. */
    record Event(String name, String id, JsonNode data) {
        long offset() {
            return Long.parseLong(id);
        }

        String text() {
            return data.get("text").asText();
        }
    }

    private final Iterator<String> lines;

    SseEvents(Iterator<String> lines) {
        this.lines = lines;
    }

    /** The next event, or null at the end of the stream. Comments and {@code retry:} lines are skipped. */
    Event next() {
        String name = null;
        String id = null;
        StringBuilder data = null;
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.isEmpty()) {
                if (name != null || data != null) {
                    return new Event(name == null ? "message" : name, id, parse(data));
                }
                continue;
            }
            if (line.startsWith("event: ")) {
                name = line.substring(7);
            } else if (line.startsWith("id: ")) {
                id = line.substring(4);
            } else if (line.startsWith("data: ")) {
                data = data == null ? new StringBuilder(line.substring(6)) : data.append('\n').append(line.substring(6));
            }
        }
        return null;
    }

    /** Events until one matches (included), or the end. */
    List<Event> until(Predicate<Event> last) {
        List<Event> events = new ArrayList<>();
        Event e;
        while ((e = next()) != null) {
            events.add(e);
            if (last.test(e)) {
                break;
            }
        }
        return events;
    }

    /** Every event to the end of the stream. */
    List<Event> all() {
        return until(e -> false);
    }

    /** The texts of the {@code delta} events, joined. */
    static String text(List<Event> events) {
        StringBuilder text = new StringBuilder();
        events.stream().filter(e -> e.name().equals("delta")).forEach(e -> text.append(e.text()));
        return text.toString();
    }

    private static JsonNode parse(StringBuilder data) {
        try {
            return data == null ? JSON.createObjectNode() : JSON.readTree(data.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
