package io.github.conversationstore.koog;

import ai.koog.prompt.message.MessagePart;
import ai.koog.prompt.message.RequestMetaInfo;
import ai.koog.prompt.message.ResponseMetaInfo;
import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import kotlinx.serialization.json.Json;

/**
 * One Koog message as one stored message. Its parts become the store's parts (text, tool calls in
 * assistant messages, tool results in a {@code TOOL} message), so that the store's windows keep a
 * call with its result; parts with no exact counterpart (reasoning, attachments, a call without an
 * id) become unknown parts {@value #PART}. The message itself is kept as Koog's own JSON in the
 * metadata entry {@value #KOOG}, so it reads back equal to the one written.
 */
final class KoogCodec {
    static final String KOOG = "koog";
    static final String PART = "koog_part";

    private KoogCodec() {}

    static String json(ai.koog.prompt.message.Message message) {
        return Json.Default.encodeToString(ai.koog.prompt.message.Message.Companion.serializer(), message);
    }

    static Message toStored(ai.koog.prompt.message.Message message) {
        String json = json(message);
        Map<String, Object> metadata = Map.of(KOOG, json);
        long millis = message.getMetaInfo().getTimestamp().toEpochMilliseconds();
        // Koog's "no time" (the distant past) is no date MongoDB keeps well: the store's clock instead
        Instant at = millis < 0 ? Instant.now() : Instant.ofEpochMilli(millis);
        String id = message.getId() != null && !message.getId().isBlank() && message.getId().length() <= 128
                ? message.getId() : UUID.randomUUID().toString();
        boolean results = message.getParts().stream().anyMatch(p -> p instanceof MessagePart.Tool.Result);
        Role role = switch (message.getRole()) {
            case System -> Role.SYSTEM;
            case Assistant -> Role.ASSISTANT;
            case User -> results ? Role.TOOL : Role.USER;
        };
        List<Part> parts = new ArrayList<>();
        for (MessagePart p : message.getParts()) {
            parts.add(part(role, p));
        }
        if (parts.isEmpty()) {
            parts.add(new Part.Text(""));
        }
        try {
            return new Message(id, role, parts, at, Map.of(), metadata);
        } catch (IllegalArgumentException e) {
            // parts the store's rules refuse together (two calls with one id...): keep them in the JSON only
            List<Part> opaque = new ArrayList<>();
            for (int i = 0; i < Math.max(1, message.getParts().size()); i++) {
                opaque.add(new Part.Unknown(PART, Map.of()));
            }
            return new Message(id, role == Role.TOOL ? Role.USER : role, opaque, at, Map.of(), metadata);
        }
    }

    private static Part part(Role role, MessagePart p) {
        if (p instanceof MessagePart.Text t && role != Role.TOOL) {
            return new Part.Text(t.getText());
        }
        if (p instanceof MessagePart.Tool.Call c && role == Role.ASSISTANT && usable(c.getId()) && usable(c.getTool())) {
            return new Part.ToolCall(c.getId(), c.getTool(), c.getArgs());
        }
        if (p instanceof MessagePart.Tool.Result r && usable(r.getId()) && usable(r.getTool())) {
            return r.isError() ? Part.ToolResult.error(r.getId(), r.getTool(), r.getOutput())
                    : Part.ToolResult.text(r.getId(), r.getTool(), r.getOutput());
        }
        return new Part.Unknown(PART, Map.of());
    }

    private static boolean usable(String id) {
        return id != null && !id.isBlank() && id.length() <= 128 && id.chars().noneMatch(Character::isISOControl);
    }

    /** The Koog message a stored message holds, or one made from its parts if another client wrote it. */
    static ai.koog.prompt.message.Message toKoog(Message stored) {
        if (stored.metadata().get(KOOG) instanceof String json) {
            return Json.Default.decodeFromString(ai.koog.prompt.message.Message.Companion.serializer(), json);
        }
        kotlin.time.Instant at = kotlin.time.Instant.Companion.fromEpochMilliseconds(stored.timestamp().toEpochMilli());
        switch (stored.role()) {
            case SYSTEM:
                return new ai.koog.prompt.message.Message.System(stored.text(), new RequestMetaInfo(at, null), null, stored.id());
            case ASSISTANT: {
                List<MessagePart.ResponsePart> parts = new ArrayList<>();
                for (Part p : stored.parts()) {
                    if (p instanceof Part.Text t) {
                        parts.add(new MessagePart.Text(t.text(), null));
                    } else if (p instanceof Part.ToolCall c) {
                        parts.add(new MessagePart.Tool.Call(c.callId(), c.name(), c.arguments()));
                    }
                }
                return new ai.koog.prompt.message.Message.Assistant(parts, new ResponseMetaInfo(at, null, null, null, null, null),
                        null, null, stored.id());
            }
            case TOOL: {
                List<MessagePart.RequestPart> parts = new ArrayList<>();
                for (Part.ToolResult r : stored.toolResults()) {
                    parts.add(new MessagePart.Tool.Result(r.callId(), r.name(), r.content(), r.error()));
                }
                return new ai.koog.prompt.message.Message.User(parts, new RequestMetaInfo(at, null), stored.id());
            }
            default:
                return new ai.koog.prompt.message.Message.User(stored.text(), new RequestMetaInfo(at, null), null, stored.id());
        }
    }
}
