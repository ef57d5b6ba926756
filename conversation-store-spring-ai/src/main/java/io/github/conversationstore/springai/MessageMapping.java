package io.github.conversationstore.springai;

import io.github.conversationstore.Message;
import io.github.conversationstore.MetadataKeys;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.internal.Fitting;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.springframework.ai.chat.messages.AbstractMessage;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.MessageType;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.content.Media;
import org.springframework.ai.content.MediaContent;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.util.MimeType;

/**
 * Spring AI messages to stored messages and back, losing nothing Spring AI's message classes hold.
 *
 * <p>A message becomes one stored message of the same role: its text as a text part (left out when
 * empty and other parts exist), an assistant's tool calls as {@link Part.ToolCall} parts, a tool
 * response message's responses as {@link Part.ToolResult} parts, media as {@link Part.Media} parts,
 * and its metadata as the stored message's metadata. What the stored form cannot say directly goes
 * to one reserved metadata entry, {@value #EXTRAS}: a null text, the Java types of top-level
 * metadata numbers ({@code Long}, {@code Float}, ...), media ids and the form of their data, tool
 * call types other than {@code function}, and ids or names the store would refuse (null, blank,
 * over 128 characters), which are stored as stable placeholders.
 *
 * <p>Metadata keys the store refuses (empty, with a {@code .}, a leading {@code $}, a NUL) are
 * escaped ({@code %2E}, {@code %24}, {@code %00}; {@code %} itself as {@code %25}, the empty key as
 * {@code %}) and unescaped on the way back. Values that JSON cannot say are stored as text: enums
 * by name, anything else by {@code toString()}; so are values nested deeper than the store allows.
 * The {@code messageType} entry is not stored: Spring AI's constructors put it back.
 */
final class MessageMapping {
    /** The reserved metadata key of what the stored form cannot say directly. */
    static final String EXTRAS = "%springAi";
    /** Type of the part that keeps media data given as text that is not an absolute URI. */
    static final String MEDIA_TEXT_PART = "spring_ai_media";
    /** Type of the part that stands for media left out because it was too large to store inline. */
    static final String MEDIA_OMITTED_PART = "spring_ai_media_omitted";

    private static final String MESSAGE_TYPE = AbstractMessage.MESSAGE_TYPE;
    private static final String FUNCTION = "function";
    private static final int MAX_ID = 128;
    /** One level under the store's limit: the top-level map is a level of its own. */
    private static final int MAX_DEPTH = Message.MAX_METADATA_DEPTH - 1;

    private static final System.Logger LOG = System.getLogger(MessageMapping.class.getName());

    private MessageMapping() {}

    /**
     * What the store takes: media over 64 KiB refused or replaced by a placeholder, and the text and
     * message sizes over which a text or a tool result is cut to fit.
     */
    record Limits(boolean omitLargeMedia, int maxTextBytes, int maxMessageBytes) {}

    // ------------------------------------------------------------------ Spring AI -> stored

    static Message toStored(org.springframework.ai.chat.messages.Message message, Limits limits) {
        Objects.requireNonNull(message, "message");
        boolean omitLargeMedia = limits.omitLargeMedia();
        Map<String, Object> extras = new LinkedHashMap<>();
        Map<String, Object> originals = new LinkedHashMap<>();
        List<Part> parts = new ArrayList<>();
        Role role = role(message.getMessageType());
        String text = message.getText();
        if (role == Role.TOOL) {
            List<ToolResponseMessage.ToolResponse> responses = message instanceof ToolResponseMessage
                    ? ((ToolResponseMessage) message).getResponses() : List.of();
            if (responses.isEmpty()) {
                throw new IllegalArgumentException("a tool response message must hold at least one response");
            }
            int position = 0;
            int room = (limits.maxMessageBytes() - Fitting.MESSAGE_RESERVE_BYTES) / responses.size();
            List<Object> cut = new ArrayList<>();
            for (ToolResponseMessage.ToolResponse response : responses) {
                String data = response.responseData() == null ? "" : response.responseData();
                String fitted = Fitting.fit(data, room);
                if (fitted != data) {
                    cut.add(cut(data, fitted, "a tool result", "maxMessageBytes"));
                } else {
                    cut.add(null);
                }
                parts.add(new Part.ToolResult(callId(response.id(), position++, originals), token(response.name(), originals),
                        fitted, false, false));
            }
            if (cut.stream().anyMatch(Objects::nonNull)) {
                extras.put(Fitting.CUT_FROM_BYTES, cut);
            }
        } else {
            if (text == null) {
                extras.put("textNull", true);
            } else if (!text.isEmpty()) {
                String fitted = Fitting.fit(text, limits.maxTextBytes());
                if (fitted != text) {
                    extras.put(Fitting.CUT_FROM_BYTES, cut(text, fitted, "a message text", "maxTextBytes"));
                }
                parts.add(Part.text(fitted));
            }
            if (message instanceof AssistantMessage) {
                List<Object> types = new ArrayList<>();
                boolean otherTypes = false;
                int position = 0;
                for (AssistantMessage.ToolCall call : ((AssistantMessage) message).getToolCalls()) {
                    parts.add(new Part.ToolCall(callId(call.id(), position++, originals), token(call.name(), originals),
                            call.arguments() == null ? "" : call.arguments()));
                    types.add(call.type());
                    otherTypes |= !FUNCTION.equals(call.type());
                }
                if (otherTypes) {
                    extras.put("toolTypes", types);
                }
            }
            if (message instanceof MediaContent) {
                List<Object> media = new ArrayList<>();
                for (Media item : ((MediaContent) message).getMedia()) {
                    media.add(media(item, parts, omitLargeMedia));
                }
                if (!media.isEmpty()) {
                    extras.put("media", media);
                }
            }
            if (parts.isEmpty()) {
                parts.add(Part.text(""));
            }
        }
        if (!originals.isEmpty()) {
            extras.put("ids", originals);
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        Map<String, Object> types = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : message.getMetadata().entrySet()) {
            if (entry.getKey() == null || MESSAGE_TYPE.equals(entry.getKey())) {
                continue;
            }
            String key = escape(entry.getKey());
            checkAcyclic(entry.getKey(), entry.getValue(), Collections.newSetFromMap(new IdentityHashMap<>()), 0);
            metadata.put(key, jsonLike(entry.getValue(), 1));
            String type = numberType(entry.getValue());
            if (type != null) {
                types.put(key, type);
            }
        }
        if (!types.isEmpty()) {
            extras.put("types", types);
        }
        if (!extras.isEmpty()) {
            metadata.put(EXTRAS, extras);
        }
        return new Message(UUID.randomUUID().toString(), role, parts, Instant.now(), Map.of(), metadata);
    }

    /** Says (in the log, without content) that a text was cut, and returns its length before. */
    private static long cut(String text, String fitted, String what, String limit) {
        long before = Fitting.utf8Bytes(text);
        LOG.log(System.Logger.Level.WARNING, () -> "conversation-store: " + what + " of " + before
                + " bytes was stored cut to " + Fitting.utf8Bytes(fitted) + " bytes to fit the store's " + limit
                + " (raise it on the store and the memory to keep such texts whole)");
        return before;
    }

    /**
     * Refuses a metadata value that contains itself (which would never end) or an array holding a
     * null, naming the metadata key.
     */
    private static void checkAcyclic(String key, Object value, Set<Object> path, int depth) {
        if (!(value instanceof Map || value instanceof Collection || value instanceof Object[])) {
            return;
        }
        if (!path.add(value)) {
            throw new IllegalArgumentException("metadata '" + key + "' holds a cycle: a map, list or array that"
                    + " contains itself cannot be stored");
        }
        if (depth > 1_000) {
            throw new IllegalArgumentException("metadata '" + key + "' nests maps and lists more than 1,000 levels deep");
        }
        if (value instanceof Map<?, ?> map) {
            for (Object element : map.values()) {
                checkAcyclic(key, element, path, depth + 1);
            }
        } else if (value instanceof Collection<?> collection) {
            for (Object element : collection) {
                checkAcyclic(key, element, path, depth + 1);
            }
        } else {
            Object[] array = (Object[]) value;
            for (int i = 0; i < array.length; i++) {
                if (array[i] == null) {
                    throw new IllegalArgumentException("metadata '" + key + "' holds an Object[] with a null at index "
                            + i + ": give a List to store nulls, or leave them out");
                }
                checkAcyclic(key, array[i], path, depth + 1);
            }
        }
        path.remove(value);
    }

    private static Role role(MessageType type) {
        switch (Objects.requireNonNull(type, "message type")) {
            case USER:
                return Role.USER;
            case ASSISTANT:
                return Role.ASSISTANT;
            case SYSTEM:
                return Role.SYSTEM;
            case TOOL:
                return Role.TOOL;
            default:
                throw new IllegalArgumentException("unknown message type " + type);
        }
    }

    /** Adds a media item's part and returns what the stored part cannot say: its id and data form. */
    private static Map<String, Object> media(Media media, List<Part> parts, boolean omitLargeMedia) {
        String mimeType = media.getMimeType().toString();
        String name = media.getName() == null ? "" : media.getName();
        Object data = media.getData();
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("id", media.getId());
        if (data instanceof byte[]) {
            byte[] bytes = (byte[]) data;
            if (bytes.length > Part.Media.MAX_INLINE_BYTES) {
                if (!omitLargeMedia) {
                    throw new IllegalArgumentException("media '" + name + "' (" + mimeType + ") holds " + bytes.length
                            + " bytes; at most " + Part.Media.MAX_INLINE_BYTES + " are stored inline: give larger media"
                            + " by URI, or build the memory with omitLargeMedia(true) to store a placeholder instead");
                }
                Map<String, Object> fields = new LinkedHashMap<>();
                fields.put("mimeType", mimeType);
                fields.put("name", name);
                fields.put("bytes", bytes.length);
                parts.add(new Part.Unknown(MEDIA_OMITTED_PART, fields));
                extra.put("kind", "omitted");
                return extra;
            }
            parts.add(new Part.Media(mimeType, null, bytes, name));
            extra.put("kind", "bytes");
            return extra;
        }
        String textual = data instanceof URL ? ((URL) data).toExternalForm() : String.valueOf(data);
        URI uri = absoluteUri(textual);
        if (uri != null) {
            parts.add(new Part.Media(mimeType, uri, null, name));
            extra.put("kind", "uri");
        } else {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("mimeType", mimeType);
            fields.put("name", name);
            fields.put("data", textual);
            parts.add(new Part.Unknown(MEDIA_TEXT_PART, fields));
            extra.put("kind", "text");
        }
        return extra;
    }

    private static URI absoluteUri(String text) {
        try {
            URI uri = new URI(text);
            return uri.isAbsolute() && uri.toString().equals(text) ? uri : null;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /**
     * A call id as the store keeps it. Some models (Ollama, Gemini) give parallel calls blank ids: a
     * blank or unusable id becomes a placeholder that also names its position, so that calls stay
     * distinct and the i-th response of a tool message answers the i-th call, as Spring AI pairs them.
     */
    private static String callId(String value, int position, Map<String, Object> originals) {
        String token = token(value, originals);
        if (!token.startsWith("~")) {
            return token;
        }
        String placeholder = token + "-" + position;
        originals.put(placeholder, originals.get(token));
        return placeholder;
    }

    /** The value itself if the store takes it as an id or name; otherwise a stable placeholder. */
    private static String token(String value, Map<String, Object> originals) {
        if (value != null && !value.isBlank() && value.length() <= MAX_ID
                && value.chars().noneMatch(Character::isISOControl)) {
            return value;
        }
        String placeholder = "~" + sha256(value == null ? "null" : "v:" + value).substring(0, 24);
        originals.put(placeholder, value);
        return placeholder;
    }

    private static String numberType(Object value) {
        if (value instanceof Long) {
            return "long";
        }
        if (value instanceof Float) {
            return "float";
        }
        if (value instanceof Short) {
            return "short";
        }
        if (value instanceof Byte) {
            return "byte";
        }
        if (value instanceof BigInteger) {
            return "bigInteger";
        }
        return null;
    }

    private static Object jsonLike(Object value, int depth) {
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Integer
                || value instanceof Long || value instanceof BigDecimal || value instanceof BigInteger) {
            return value;
        }
        if (value instanceof Short || value instanceof Byte) {
            return ((Number) value).intValue();
        }
        if (value instanceof byte[]) {
            return Base64.getEncoder().encodeToString((byte[]) value);
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            return Double.isNaN(d) || Double.isInfinite(d) ? Double.toString(d) : d;
        }
        if (value instanceof Map || value instanceof Collection || value instanceof Object[]) {
            if (depth >= MAX_DEPTH) {
                return String.valueOf(value);
            }
            if (value instanceof Map) {
                Map<String, Object> copy = new LinkedHashMap<>();
                ((Map<?, ?>) value).forEach((k, v) -> copy.put(escape(String.valueOf(k)), jsonLike(v, depth + 1)));
                return copy;
            }
            List<Object> copy = new ArrayList<>();
            for (Object element : value instanceof Object[] array ? Arrays.asList(array) : (Collection<?>) value) {
                copy.add(jsonLike(element, depth + 1));
            }
            return copy;
        }
        if (value instanceof Enum) {
            return ((Enum<?>) value).name();
        }
        return value.toString();
    }

    /** Escapes a metadata key the store would refuse: {@link MetadataKeys#escape(String)}. */
    static String escape(String key) {
        return MetadataKeys.escape(key);
    }

    static String unescape(String key) {
        return MetadataKeys.unescape(key);
    }

    // ------------------------------------------------------------------ stored -> Spring AI

    static org.springframework.ai.chat.messages.Message toSpring(Message stored) {
        Map<String, Object> extras = map(stored.metadata().get(EXTRAS));
        Map<String, Object> originals = map(extras.get("ids"));
        Map<String, Object> types = map(extras.get("types"));
        Map<String, Object> metadata = new HashMap<>();
        for (Map.Entry<String, Object> entry : stored.metadata().entrySet()) {
            if (EXTRAS.equals(entry.getKey())) {
                continue;
            }
            metadata.put(unescape(entry.getKey()), typed(mutable(entry.getValue()), types.get(entry.getKey())));
        }
        String text = Boolean.TRUE.equals(extras.get("textNull")) ? null : stored.text();
        switch (stored.role()) {
            case TOOL: {
                List<ToolResponseMessage.ToolResponse> responses = new ArrayList<>();
                for (Part.ToolResult result : stored.toolResults()) {
                    responses.add(new ToolResponseMessage.ToolResponse(original(result.callId(), originals),
                            original(result.name(), originals), result.content()));
                }
                return ToolResponseMessage.builder().responses(responses).metadata(metadata).build();
            }
            case SYSTEM:
                return SystemMessage.builder().text(text == null ? "" : text).metadata(metadata).build();
            case USER:
                return UserMessage.builder().text(text == null ? "" : text).media(media(stored, extras))
                        .metadata(metadata).build();
            case ASSISTANT: {
                List<Object> toolTypes = list(extras.get("toolTypes"));
                List<AssistantMessage.ToolCall> calls = new ArrayList<>();
                for (Part.ToolCall call : stored.toolCalls()) {
                    String type = calls.size() < toolTypes.size() ? (String) toolTypes.get(calls.size()) : FUNCTION;
                    calls.add(new AssistantMessage.ToolCall(original(call.callId(), originals), type,
                            original(call.name(), originals), call.arguments()));
                }
                return AssistantMessage.builder().content(text).properties(metadata).toolCalls(calls)
                        .media(media(stored, extras)).build();
            }
            default:
                throw new IllegalStateException("unknown role " + stored.role());
        }
    }

    private static List<Media> media(Message stored, Map<String, Object> extras) {
        List<Object> described = list(extras.get("media"));
        List<Media> media = new ArrayList<>();
        int index = 0;
        for (Part part : stored.parts()) {
            boolean ours = part instanceof Part.Unknown && (MEDIA_TEXT_PART.equals(part.type())
                    || MEDIA_OMITTED_PART.equals(part.type()));
            if (!(part instanceof Part.Media) && !ours) {
                continue;
            }
            Map<String, Object> extra = index < described.size() ? map(described.get(index)) : Map.of();
            index++;
            String id = (String) extra.get("id");
            if (part instanceof Part.Media) {
                Part.Media item = (Part.Media) part;
                Media.Builder builder = Media.builder().mimeType(MimeType.valueOf(item.mimeType())).id(id)
                        .name(item.name().isEmpty() ? null : item.name());
                if (item.uri() != null) {
                    builder.data(item.uri());
                } else {
                    builder.data(new ByteArrayResource(item.data()));
                }
                media.add(builder.build());
            } else if (MEDIA_TEXT_PART.equals(part.type())) {
                Map<String, Object> fields = ((Part.Unknown) part).fields();
                Media.Builder builder = Media.builder().mimeType(MimeType.valueOf((String) fields.get("mimeType")))
                        .id(id).name((String) fields.get("name"));
                media.add(textData(builder, (String) fields.get("data")).build());
            }
            // media left out for its size stays a placeholder in the store and is not handed back
        }
        return media;
    }

    /**
     * {@code Media.Builder.data} takes text as {@code data(Object)} in Spring AI 1.x and as
     * {@code data(String)} in 2.x: found by reflection, so that one jar runs on both.
     */
    private static Media.Builder textData(Media.Builder builder, String data) {
        for (Class<?> type : List.of(String.class, Object.class)) {
            try {
                Method method = Media.Builder.class.getMethod("data", type);
                return (Media.Builder) method.invoke(builder, data);
            } catch (NoSuchMethodException e) {
                continue;
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("Spring AI's Media.Builder refused media data given as text", e);
            }
        }
        throw new IllegalStateException("Spring AI's Media.Builder has no data(String) or data(Object)");
    }

    private static String original(String value, Map<String, Object> originals) {
        return originals.containsKey(value) ? (String) originals.get(value) : value;
    }

    private static Object typed(Object value, Object type) {
        if (!(value instanceof Number) || type == null) {
            return value;
        }
        Number number = (Number) value;
        switch ((String) type) {
            case "long":
                return number.longValue();
            case "float":
                return number.floatValue();
            case "short":
                return number.shortValue();
            case "byte":
                return number.byteValue();
            case "bigInteger":
                return number instanceof BigDecimal ? ((BigDecimal) number).toBigInteger() : BigInteger.valueOf(number.longValue());
            default:
                return value;
        }
    }

    /** A mutable copy of a stored value, with the keys of nested maps unescaped. */
    private static Object mutable(Object value) {
        if (value instanceof Map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            ((Map<?, ?>) value).forEach((k, v) -> copy.put(unescape(String.valueOf(k)), mutable(v)));
            return copy;
        }
        if (value instanceof Collection) {
            List<Object> copy = new ArrayList<>();
            for (Object element : (Collection<?>) value) {
                copy.add(mutable(element));
            }
            return copy;
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value instanceof Map ? (Map<String, Object>) value : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return value instanceof List ? (List<Object>) value : List.of();
    }

    // ------------------------------------------------------------------ content identity

    /**
     * A digest of what a message says (role, parts, attributes and metadata, not its id or time),
     * the same in every JVM: two messages with the same digest are the same for the store's "one
     * content per append id" rule.
     */
    static void digest(MessageDigest digest, Message message) {
        update(digest, message.role().name());
        for (Part part : message.parts()) {
            update(digest, part.type());
            if (part instanceof Part.Text) {
                update(digest, ((Part.Text) part).text());
            } else if (part instanceof Part.ToolCall) {
                Part.ToolCall call = (Part.ToolCall) part;
                update(digest, call.callId(), call.name(), call.arguments());
            } else if (part instanceof Part.ToolResult) {
                Part.ToolResult result = (Part.ToolResult) part;
                update(digest, result.callId(), result.name(), result.content(), result.json() + "/" + result.error());
            } else if (part instanceof Part.Media) {
                Part.Media media = (Part.Media) part;
                update(digest, media.mimeType(), String.valueOf(media.uri()),
                        media.data() == null ? "-" : Base64.getEncoder().encodeToString(media.data()), media.name());
            } else if (part instanceof Part.Reasoning) {
                Part.Reasoning reasoning = (Part.Reasoning) part;
                update(digest, reasoning.text(), reasoning.signature(), String.valueOf(reasoning.redacted()));
            } else {
                update(digest, canonical(((Part.Unknown) part).fields()));
            }
        }
        update(digest, canonical(message.attributes()), canonical(message.metadata()));
    }

    /** Text of a JSON-like value with map keys sorted, so that equal values give equal text. */
    private static String canonical(Object value) {
        if (value instanceof Map) {
            Map<String, Object> sorted = new TreeMap<>();
            ((Map<?, ?>) value).forEach((k, v) -> sorted.put(String.valueOf(k), canonical(v)));
            return sorted.toString();
        }
        if (value instanceof Collection) {
            List<Object> copy = new ArrayList<>();
            for (Object element : (Collection<?>) value) {
                copy.add(canonical(element));
            }
            return copy.toString();
        }
        if (value instanceof byte[]) {
            return Base64.getEncoder().encodeToString((byte[]) value);
        }
        return value == null ? "null" : value.getClass().getSimpleName() + ":" + value;
    }

    private static void update(MessageDigest digest, String... values) {
        for (String value : values) {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            digest.update(new byte[] {(byte) (bytes.length >>> 24), (byte) (bytes.length >>> 16),
                (byte) (bytes.length >>> 8), (byte) bytes.length});
            digest.update(bytes);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String sha256(String text) {
        return HexFormat.of().formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Whether two stored messages say the same (the store's rule: role, parts, attributes, metadata). */
    static boolean sameContent(Message a, Message b) {
        return a.role() == b.role() && a.parts().equals(b.parts()) && a.attributes().equals(b.attributes())
                && a.metadata().equals(b.metadata());
    }
}
