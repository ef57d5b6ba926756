package io.github.conversationstore;

import java.net.URI;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** The map form of parts, shared by JSON and BSON (where inline bytes are binary, not base64). */
final class PartForm {
    private PartForm() {}

    static Map<String, Object> write(Part part, boolean bson) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(Part.TYPE_FIELD, part.type());
        if (part instanceof Part.Text) {
            out.put("text", ((Part.Text) part).text());
        } else if (part instanceof Part.ToolCall) {
            Part.ToolCall call = (Part.ToolCall) part;
            out.put("callId", call.callId());
            out.put("name", call.name());
            out.put("arguments", call.arguments());
        } else if (part instanceof Part.ToolResult) {
            Part.ToolResult result = (Part.ToolResult) part;
            out.put("callId", result.callId());
            out.put("name", result.name());
            out.put("content", result.content());
            putFlag(out, "json", result.json());
            putFlag(out, "error", result.error());
        } else if (part instanceof Part.Media) {
            Part.Media media = (Part.Media) part;
            out.put("mimeType", media.mimeType());
            if (media.uri() != null) {
                out.put("uri", media.uri().toString());
            } else {
                out.put("data", bson ? new org.bson.types.Binary(media.rawData())
                        : Base64.getEncoder().encodeToString(media.rawData()));
            }
            if (!media.name().isEmpty()) {
                out.put("name", media.name());
            }
        } else if (part instanceof Part.Reasoning) {
            Part.Reasoning reasoning = (Part.Reasoning) part;
            out.put("text", reasoning.text());
            out.put("signature", reasoning.signature());
            putFlag(out, "redacted", reasoning.redacted());
        } else {
            Map<String, Object> fields = ((Part.Unknown) part).fields();
            if (bson) {
                ((Map<?, ?>) JsonValues.toBson(fields)).forEach((k, v) -> out.put((String) k, v));
            } else {
                out.putAll(fields);
            }
        }
        return out;
    }

    private static void putFlag(Map<String, Object> out, String key, boolean value) {
        if (value) {
            out.put(key, true);
        }
    }

    static Part read(Map<String, ?> in) {
        Object type = in.get(Part.TYPE_FIELD);
        if (!(type instanceof String)) {
            throw new IllegalArgumentException("a part must have a string '" + Part.TYPE_FIELD + "', had " + type);
        }
        switch ((String) type) {
            case Part.Text.TYPE:
                return new Part.Text(string(in, "text"));
            case Part.ToolCall.TYPE:
                return new Part.ToolCall(string(in, "callId"), string(in, "name"), string(in, "arguments"));
            case Part.ToolResult.TYPE:
                return new Part.ToolResult(string(in, "callId"), optionalString(in, "name"), string(in, "content"),
                        flag(in, "json"), flag(in, "error"));
            case Part.Media.TYPE:
                Object uri = in.get("uri");
                return new Part.Media(string(in, "mimeType"), uri == null ? null : URI.create(uri.toString()),
                        bytes(in.get("data")), optionalString(in, "name"));
            case Part.Reasoning.TYPE:
                return new Part.Reasoning(optionalString(in, "text"), optionalString(in, "signature"), flag(in, "redacted"));
            default:
                Map<String, Object> fields = new LinkedHashMap<>(in);
                fields.remove(Part.TYPE_FIELD);
                return new Part.Unknown((String) type, fields);
        }
    }

    private static String string(Map<String, ?> in, String key) {
        Object value = in.get(key);
        if (value == null) {
            throw new NullPointerException(in.get(Part.TYPE_FIELD) + " part: " + key);
        }
        return value.toString();
    }

    private static String optionalString(Map<String, ?> in, String key) {
        Object value = in.get(key);
        return value == null ? "" : value.toString();
    }

    private static boolean flag(Map<String, ?> in, String key) {
        return Boolean.TRUE.equals(in.get(key));
    }

    private static byte[] bytes(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof byte[]) {
            return (byte[]) value;
        }
        if (value instanceof org.bson.types.Binary) {
            return ((org.bson.types.Binary) value).getData();
        }
        return Base64.getDecoder().decode(value.toString());
    }
}
