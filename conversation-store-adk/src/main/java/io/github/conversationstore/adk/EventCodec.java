package io.github.conversationstore.adk;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.adk.JsonBaseModel;
import com.google.adk.events.Event;
import com.google.adk.sessions.State;
import com.google.genai.types.Content;
import com.google.genai.types.FunctionCall;
import com.google.genai.types.FunctionResponse;
import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One ADK event as one stored message. The content's parts become the store's parts (text, tool
 * call, tool result), so that other readers of the store, and its windows that keep tool calls with
 * their results, see them; a part the store's parts cannot say exactly (inline data, thoughts,
 * executable code, a call without an id...) is kept as an unknown part {@value #PART} holding its
 * JSON. Everything else of the event (id, author, invocation id, actions with the state delta,
 * branch, usage...) is kept as ADK's own JSON in the metadata entry {@value #EVENT}, and the
 * content's other fields (its role) in {@value #CONTENT}. So an event reads back equal to the one
 * written.
 */
final class EventCodec {
    static final String EVENT = "adkEvent";
    static final String CONTENT = "adkContent";
    static final String PART_COUNT = "adkParts";
    static final String PART = "adk_part";
    static final String JSON = "json";

    private static final ObjectMapper ADK = JsonBaseModel.getMapper();
    private static final ObjectMapper PLAIN = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    private EventCodec() {}

    /** Whether a stored message is an event (and not the session's creation mark). */
    static boolean isEvent(StoredMessage stored) {
        return stored.message().metadata().get(EVENT) instanceof String;
    }

    /**
     * The stored form of an event.
     *
     * @throws IllegalArgumentException if the event cannot be stored (its id breaks the store's rules
     *     for message ids)
     */
    static Message toMessage(Event event) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        ObjectNode json = ADK.valueToTree(event);
        json.remove("content");
        metadata.put(EVENT, json.toString());
        List<com.google.genai.types.Part> genaiParts = List.of();
        if (event.content().isPresent()) {
            Content content = event.content().get();
            ObjectNode contentJson = tree(content.toJson());
            contentJson.remove("parts");
            metadata.put(CONTENT, contentJson.toString());
            if (content.parts().isPresent()) {
                genaiParts = content.parts().get();
                metadata.put(PART_COUNT, genaiParts.size());
            }
        }
        List<Part> parts = new ArrayList<>(genaiParts.size());
        for (com.google.genai.types.Part p : genaiParts) {
            Part mapped = toStorePart(p);
            parts.add(mapped != null && p.equals(toGenaiPart(mapped)) ? mapped : unknown(p));
        }
        Instant at = Instant.ofEpochMilli(event.timestamp());
        Role role = role(event, parts);
        List<Part> stored = fit(role, parts);
        try {
            return new Message(event.id(), role, stored, at, Map.of(), metadata);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("id")) {
                throw new IllegalArgumentException("event.id: " + e.getMessage(), e);
            }
            // parts the store's rules refuse together (such as two calls with one id): keep them all as JSON
            List<Part> opaque = new ArrayList<>();
            for (com.google.genai.types.Part p : genaiParts) {
                opaque.add(unknown(p));
            }
            return new Message(event.id(), "user".equals(event.author()) ? Role.USER : Role.ASSISTANT,
                    opaque.isEmpty() ? List.of(new Part.Text("")) : opaque, at, Map.of(), metadata);
        }
    }

    /** The event a stored message holds. */
    static Event toEvent(Message message) {
        Event event = Event.fromJson((String) message.metadata().get(EVENT));
        Map<String, Object> delta = event.actions().stateDelta();
        delta.replaceAll((k, v) -> StateCodec.REMOVED_JSON.equals(v) ? State.REMOVED : v);
        Object contentJson = message.metadata().get(CONTENT);
        if (contentJson instanceof String text) {
            Content content = Content.fromJson(text);
            if (message.metadata().get(PART_COUNT) instanceof Number count) {
                List<com.google.genai.types.Part> parts = new ArrayList<>(count.intValue());
                for (int i = 0; i < count.intValue(); i++) {
                    parts.add(toGenaiPart(message.parts().get(i)));
                }
                content = content.toBuilder().parts(parts).build();
            }
            event.setContent(content);
        }
        return event;
    }

    /** Roughly how many bytes the message takes as stored: its strings in UTF-8, and a margin. */
    static long estimateBytes(Message message) {
        long bytes = 512;
        for (Part p : message.parts()) {
            if (p instanceof Part.Text t) {
                bytes += utf8(t.text()) + 32;
            } else if (p instanceof Part.ToolCall c) {
                bytes += utf8(c.callId()) + utf8(c.name()) + utf8(c.arguments()) + 64;
            } else if (p instanceof Part.ToolResult r) {
                bytes += utf8(r.callId()) + utf8(r.name()) + utf8(r.content()) + 64;
            } else if (p instanceof Part.Unknown u) {
                bytes += utf8(String.valueOf(u.fields().get(JSON))) + 64;
            } else {
                bytes += 1024;
            }
        }
        for (Object v : message.metadata().values()) {
            bytes += utf8(String.valueOf(v)) + 32;
        }
        return bytes;
    }

    /** The text bytes the store counts against its text bound: the text parts together. */
    static long textBytes(Message message) {
        long bytes = 0;
        for (Part p : message.parts()) {
            if (p instanceof Part.Text t) {
                bytes += utf8(t.text());
            }
        }
        return bytes;
    }

    private static long utf8(String s) {
        return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static Role role(Event event, List<Part> parts) {
        if (parts.stream().anyMatch(p -> p instanceof Part.ToolResult)) {
            return Role.TOOL;
        }
        if (parts.stream().anyMatch(p -> p instanceof Part.ToolCall)) {
            return Role.ASSISTANT;
        }
        return "user".equals(event.author()) ? Role.USER : Role.ASSISTANT;
    }

    /** The parts as the role allows them: a tool message holds results (others kept as JSON). */
    private static List<Part> fit(Role role, List<Part> parts) {
        if (parts.isEmpty()) {
            return List.of(new Part.Text(""));
        }
        if (role != Role.TOOL) {
            return parts;
        }
        List<Part> out = new ArrayList<>(parts.size());
        for (Part p : parts) {
            out.add(p instanceof Part.ToolResult || p instanceof Part.Unknown ? p : unknown(toGenaiPart(p)));
        }
        return out;
    }

    private static Part unknown(com.google.genai.types.Part p) {
        return new Part.Unknown(PART, Map.of(JSON, p.toJson()));
    }

    /** The store part for a genai part, or null if it has no exact counterpart. */
    private static Part toStorePart(com.google.genai.types.Part p) {
        if (p.functionCall().isPresent()) {
            FunctionCall call = p.functionCall().get();
            if (call.id().filter(id -> !id.isBlank()).isEmpty() || call.name().filter(n -> !n.isBlank()).isEmpty()) {
                return null;
            }
            return safely(() -> new Part.ToolCall(call.id().get(), call.name().get(), write(call.args().orElse(Map.of()))));
        }
        if (p.functionResponse().isPresent()) {
            FunctionResponse response = p.functionResponse().get();
            if (response.id().filter(id -> !id.isBlank()).isEmpty()
                    || response.name().filter(n -> !n.isBlank()).isEmpty()) {
                return null;
            }
            return safely(() -> Part.ToolResult.json(response.id().get(), response.name().get(),
                    write(response.response().orElse(Map.of()))));
        }
        if (p.text().isPresent()) {
            return new Part.Text(p.text().get());
        }
        return null;
    }

    static com.google.genai.types.Part toGenaiPart(Part part) {
        if (part instanceof Part.Text t) {
            return com.google.genai.types.Part.fromText(t.text());
        }
        if (part instanceof Part.ToolCall c) {
            return com.google.genai.types.Part.builder().functionCall(FunctionCall.builder()
                    .id(c.callId()).name(c.name()).args(read(c.arguments())).build()).build();
        }
        if (part instanceof Part.ToolResult r) {
            return com.google.genai.types.Part.builder().functionResponse(FunctionResponse.builder()
                    .id(r.callId()).name(r.name()).response(read(r.content())).build()).build();
        }
        if (part instanceof Part.Unknown u && PART.equals(u.type()) && u.fields().get(JSON) instanceof String json) {
            return com.google.genai.types.Part.fromJson(json);
        }
        // a part written by another client of the store: its text, if it has one
        return com.google.genai.types.Part.fromText("");
    }

    private interface PartMaker {
        Part make();
    }

    private static Part safely(PartMaker maker) {
        try {
            return maker.make();
        } catch (IllegalArgumentException e) {
            return null; // an id or name the store refuses: kept as JSON instead
        }
    }

    private static String write(Map<String, Object> map) {
        try {
            return ADK.writeValueAsString(map);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("event content holds a value that cannot be written as JSON: "
                    + e.getMessage(), e);
        }
    }

    private static Map<String, Object> read(String json) {
        try {
            Map<String, Object> map = PLAIN.readValue(json, MAP);
            return map == null ? Map.of() : map;
        } catch (JsonProcessingException e) {
            return Map.of("value", json);
        }
    }

    private static ObjectNode tree(String json) {
        try {
            return (ObjectNode) PLAIN.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("genai content JSON", e);
        }
    }
}
