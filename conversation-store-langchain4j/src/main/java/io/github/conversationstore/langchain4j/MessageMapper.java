package io.github.conversationstore.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.audio.Audio;
import dev.langchain4j.data.image.Image;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.AudioContent;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.CustomMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.PdfFileContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.message.VideoContent;
import dev.langchain4j.data.pdf.PdfFile;
import dev.langchain4j.data.video.Video;
import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.internal.Fitting;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Converts LangChain4j messages to the store's {@link Message}s and back (see the package
 * documentation for the stored shape). Stateless; the synthesized tool call ids of one conversation
 * are tracked by the caller through {@link ToolCallIds}.
 */
final class MessageMapper {
    /** Metadata key of what only LangChain4j needs to rebuild a message exactly. */
    static final String EXTRAS = "langchain4j";
    /** Type name of the unknown part a {@link CustomMessage} is stored as. */
    static final String CUSTOM_PART = "langchain4j_custom";
    /** Prefix of the call ids given to tool execution requests without one. */
    static final String SYNTHETIC_CALL_ID = "lc4j-call-";
    /** Attribute in which LangChain4j's Anthropic integration keeps the thinking signature. */
    static final String THINKING_SIGNATURE = "thinking_signature";
    /**
     * Attribute of an {@code AiMessage} saying why the model stopped; a text value is also stored as
     * the message's {@link Message#FINISH_REASON} metadata (a stopped stream's partial reply holds
     * {@code "stopped"}).
     */
    static final String FINISH_REASON = Message.FINISH_REASON;

    private static final System.Logger LOG = System.getLogger(MessageMapper.class.getName());

    private MessageMapper() {}

    /**
     * Synthesized call ids of one conversation: the requests without an id of the last assistant
     * message, so that results without an id name the same call. Not thread-safe.
     */
    static final class ToolCallIds {
        private final List<String> names = new ArrayList<>();
        private final List<Boolean> answered = new ArrayList<>();

        void requests(List<ToolExecutionRequest> requests) {
            names.clear();
            answered.clear();
            for (ToolExecutionRequest request : requests) {
                names.add(request.name());
                answered.add(!blank(request.id()));
            }
        }

        String resultId(String toolName) {
            for (int i = 0; i < names.size(); i++) {
                if (!answered.get(i) && Objects.equals(names.get(i), toolName)) {
                    answered.set(i, true);
                    return SYNTHETIC_CALL_ID + i;
                }
            }
            return SYNTHETIC_CALL_ID + 0;
        }
    }

    // ---------------------------------------------------------------- LangChain4j -> store

    static Message toStore(ChatMessage message, ToolCallIds ids) {
        Objects.requireNonNull(message, "message");
        if (message instanceof SystemMessage system) {
            return message(Role.SYSTEM, List.of(new Part.Text(system.text())), Map.of());
        } else if (message instanceof UserMessage user) {
            return user(user);
        } else if (message instanceof AiMessage ai) {
            return assistant(ai, ids);
        } else if (message instanceof ToolExecutionResultMessage result) {
            return toolResult(result, ids);
        } else if (message instanceof CustomMessage custom) {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("attributes", Attributes.encode("CustomMessage", custom.attributes()));
            return message(Role.USER, List.of(new Part.Unknown(CUSTOM_PART, fields)), Map.of());
        }
        throw new IllegalArgumentException("message type " + message.getClass().getName() + " (" + message.type()
                + ") cannot be stored: supported are SystemMessage, UserMessage, AiMessage,"
                + " ToolExecutionResultMessage and CustomMessage");
    }

    private static Message user(UserMessage user) {
        List<Part> parts = new ArrayList<>();
        List<Object> contentExtras = new ArrayList<>();
        boolean anyContentExtras = false;
        for (Content content : user.contents()) {
            Map<String, Object> extras = new LinkedHashMap<>();
            parts.add(part(content, extras));
            contentExtras.add(extras);
            anyContentExtras |= !extras.isEmpty();
        }
        if (parts.isEmpty()) {
            parts.add(new Part.Text(""));
        }
        Map<String, Object> extras = new LinkedHashMap<>();
        if (user.name() != null) {
            extras.put("name", user.name());
        }
        if (!user.attributes().isEmpty()) {
            extras.put("attributes", Attributes.encode("UserMessage", user.attributes()));
        }
        if (anyContentExtras) {
            extras.put("contents", contentExtras);
        }
        return message(Role.USER, parts, extras);
    }

    private static Message assistant(AiMessage ai, ToolCallIds ids) {
        List<Part> parts = new ArrayList<>();
        Map<String, Object> extras = new LinkedHashMap<>();
        if (ai.thinking() != null) {
            Object signature = ai.attributes().get(THINKING_SIGNATURE);
            parts.add(new Part.Reasoning(ai.thinking(), signature instanceof String s ? s : "", false));
        }
        if (ai.text() != null) {
            parts.add(new Part.Text(ai.text()));
        }
        List<Object> requestExtras = new ArrayList<>();
        boolean anyRequestExtras = false;
        List<ToolExecutionRequest> requests = ai.toolExecutionRequests();
        for (int i = 0; i < requests.size(); i++) {
            ToolExecutionRequest request = requests.get(i);
            Map<String, Object> re = new LinkedHashMap<>();
            String callId = request.id();
            if (blank(callId)) {
                re.put(callId == null ? "noId" : "blankId", callId == null ? Boolean.TRUE : callId);
                callId = SYNTHETIC_CALL_ID + i;
            }
            String arguments = request.arguments();
            if (arguments == null) {
                re.put("noArguments", true);
                arguments = "";
            }
            if (request.name() == null || request.name().isBlank()) {
                throw new IllegalArgumentException("toolExecutionRequests[" + i + "] of an AiMessage has no name: a"
                        + " tool call cannot be stored without the tool's name");
            }
            parts.add(new Part.ToolCall(callId, request.name(), arguments));
            requestExtras.add(re);
            anyRequestExtras |= !re.isEmpty();
        }
        if (ids != null && !requests.isEmpty()) {
            ids.requests(requests);
        }
        if (parts.isEmpty()) {
            parts.add(new Part.Text(""));
            extras.put("noText", true);
        }
        if (!ai.attributes().isEmpty()) {
            extras.put("attributes", Attributes.encode("AiMessage", ai.attributes()));
        }
        if (anyRequestExtras) {
            extras.put("requests", requestExtras);
        }
        Message stored = message(Role.ASSISTANT, parts, extras);
        if (ai.attributes().get(FINISH_REASON) instanceof String reason) {
            // also where the store and the turn service keep it (a stopped reply: "stopped")
            Map<String, Object> metadata = new LinkedHashMap<>(stored.metadata());
            metadata.put(Message.FINISH_REASON, reason);
            stored = new Message(stored.id(), stored.role(), stored.parts(), stored.timestamp(), stored.attributes(),
                    metadata);
        }
        return stored;
    }

    private static Message toolResult(ToolExecutionResultMessage result, ToolCallIds ids) {
        Map<String, Object> extras = new LinkedHashMap<>();
        String callId = result.id();
        if (blank(callId)) {
            extras.put(callId == null ? "noId" : "blankId", callId == null ? Boolean.TRUE : callId);
            callId = ids != null ? ids.resultId(result.toolName()) : SYNTHETIC_CALL_ID + 0;
        }
        String name = result.toolName();
        if (name == null) {
            extras.put("noToolName", true);
            name = "";
        }
        String content;
        if (result.hasSingleText()) {
            content = result.text();
        } else {
            StringBuilder text = new StringBuilder();
            List<Object> contents = new ArrayList<>();
            for (Content c : result.contents()) {
                if (c instanceof TextContent t) {
                    text.append(t.text());
                }
                contents.add(contentAsMap(c));
            }
            content = text.toString();
            extras.put("contents", contents);
        }
        if (result.isError() == null) {
            extras.put("noIsError", true);
        }
        if (!result.attributes().isEmpty()) {
            extras.put("attributes", Attributes.encode("ToolExecutionResultMessage", result.attributes()));
        }
        boolean error = Boolean.TRUE.equals(result.isError());
        return message(Role.TOOL, List.of(new Part.ToolResult(callId, name, content, false, error)), extras);
    }

    private static Message message(Role role, List<Part> parts, Map<String, Object> extras) {
        return new Message(UUID.randomUUID().toString(), role, parts, Instant.now(), Map.of(),
                extras.isEmpty() ? Map.of() : Map.of(EXTRAS, extras));
    }

    /** A content of a user message as a part; {@code extras} gets what the part cannot say. */
    private static Part part(Content content, Map<String, Object> extras) {
        if (content instanceof TextContent text) {
            return new Part.Text(text.text());
        } else if (content instanceof ImageContent image) {
            Image i = image.image();
            if (image.detailLevel() != ImageContent.DetailLevel.LOW) {
                extras.put("detailLevel", image.detailLevel().name());
            }
            if (i.revisedPrompt() != null) {
                extras.put("revisedPrompt", i.revisedPrompt());
            }
            return media("IMAGE", i.url(), i.base64Data(), null, i.mimeType(), extras);
        } else if (content instanceof AudioContent audio) {
            Audio a = audio.audio();
            return media("AUDIO", a.url(), a.base64Data(), a.binaryData(), a.mimeType(), extras);
        } else if (content instanceof VideoContent video) {
            Video v = video.video();
            return media("VIDEO", v.url(), v.base64Data(), null, v.mimeType(), extras);
        } else if (content instanceof PdfFileContent pdf) {
            PdfFile p = pdf.pdfFile();
            return media("PDF", p.url(), p.base64Data(), null, p.mimeType(), extras);
        }
        throw new IllegalArgumentException("content type " + content.getClass().getName() + " (" + content.type()
                + ") of a UserMessage cannot be stored");
    }

    private static Part.Media media(String kind, URI url, String base64, byte[] binary, String mimeType,
            Map<String, Object> extras) {
        extras.put("kind", kind);
        String mime = mimeType;
        if (mime == null) {
            extras.put("noMimeType", true);
            mime = defaultMimeType(kind);
        }
        if (url != null) {
            if (base64 != null) {
                extras.put("base64Data", base64);
            }
            if (binary != null) {
                extras.put("binaryData", Base64.getEncoder().encodeToString(binary));
            }
            return new Part.Media(mime, url, null, "");
        }
        byte[] data;
        if (binary != null) {
            data = binary;
            extras.put("binary", true);
            if (base64 != null) {
                extras.put("base64Data", base64);
            }
        } else if (base64 != null) {
            try {
                data = Base64.getMimeDecoder().decode(base64);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the " + kind.toLowerCase(Locale.ROOT)
                        + " content's base64Data is not base64", e);
            }
            if (!Base64.getEncoder().encodeToString(data).equals(base64)) {
                extras.put("base64Data", base64); // kept as written (line breaks, missing padding...)
            }
        } else {
            throw new IllegalArgumentException("the " + kind.toLowerCase(Locale.ROOT)
                    + " content has neither a url nor data");
        }
        if (data.length > Part.Media.MAX_INLINE_BYTES) {
            throw new IllegalArgumentException("the " + kind.toLowerCase(Locale.ROOT) + " content holds "
                    + data.length + " bytes inline; at most " + Part.Media.MAX_INLINE_BYTES
                    + " bytes can be stored inline: keep the media elsewhere and give its url");
        }
        return new Part.Media(mime, null, data, "");
    }

    private static String defaultMimeType(String kind) {
        switch (kind) {
            case "IMAGE":
                return "image/*";
            case "AUDIO":
                return "audio/*";
            case "VIDEO":
                return "video/*";
            default:
                return "application/pdf";
        }
    }

    /** A tool result's content, kept whole in the extras when the result is not one text. */
    private static Map<String, Object> contentAsMap(Content content) {
        Map<String, Object> map = new LinkedHashMap<>();
        if (content instanceof TextContent text) {
            map.put("type", "TEXT");
            map.put("text", text.text());
            return map;
        }
        Map<String, Object> extras = new LinkedHashMap<>();
        Part.Media media = (Part.Media) part(content, extras);
        map.put("type", "MEDIA");
        map.put("mimeType", media.mimeType());
        if (media.uri() != null) {
            map.put("uri", media.uri().toString());
        } else {
            map.put("data", Base64.getEncoder().encodeToString(media.data()));
        }
        map.put("extras", extras);
        return map;
    }

    /**
     * The message within the store's limits: a text over {@code maxTextBytes} and a tool result
     * over {@code maxMessageBytes} less 8 KiB are cut to fit, ending with a marker saying how much
     * was kept (logged as a WARNING, without content); a message within them is returned as it is.
     */
    static Message fit(Message message, int maxTextBytes, int maxMessageBytes) {
        List<Part> parts = new ArrayList<>(message.parts());
        boolean changed = false;
        for (int i = 0; i < parts.size(); i++) {
            Part part = parts.get(i);
            if (part instanceof Part.Text text) {
                String fitted = Fitting.fit(text.text(), maxTextBytes);
                if (fitted != text.text()) {
                    parts.set(i, new Part.Text(fitted));
                    changed = cut(text.text(), fitted, "a message text", "maxTextBytes");
                }
            } else if (part instanceof Part.ToolResult result) {
                String fitted = Fitting.fit(result.content(), maxMessageBytes - Fitting.MESSAGE_RESERVE_BYTES);
                if (fitted != result.content()) {
                    parts.set(i, new Part.ToolResult(result.callId(), result.name(), fitted, false, result.error()));
                    changed = cut(result.content(), fitted, "a tool result", "maxMessageBytes");
                }
            }
        }
        return changed ? new Message(message.id(), message.role(), parts, message.timestamp(), message.attributes(),
                message.metadata()) : message;
    }

    private static boolean cut(String text, String fitted, String what, String limit) {
        long before = Fitting.utf8Bytes(text);
        LOG.log(System.Logger.Level.WARNING, () -> "conversation-store: " + what + " of " + before
                + " bytes was stored cut to " + Fitting.utf8Bytes(fitted) + " bytes to fit the store's " + limit
                + " (raise it on the store and the adapter to keep such texts whole)");
        return true;
    }

    // ---------------------------------------------------------------- store -> LangChain4j

    /**
     * Converts a stored message: one LangChain4j message, or one per tool result of a tool message
     * (LangChain4j answers each call with its own message), or none for what LangChain4j cannot say
     * (an empty system message).
     */
    static List<ChatMessage> fromStore(Message message) {
        Map<String, Object> extras = extras(message);
        switch (message.role()) {
            case SYSTEM:
                return message.text().isBlank() ? List.of() : List.of(new SystemMessage(message.text()));
            case USER:
                return List.of(userFrom(message, extras));
            case ASSISTANT:
                return List.of(assistantFrom(message, extras));
            case TOOL:
            default:
                return toolResultsFrom(message, extras);
        }
    }

    private static ChatMessage userFrom(Message message, Map<String, Object> extras) {
        List<Object> contentExtras = list(extras.get("contents"));
        List<Content> contents = new ArrayList<>();
        for (int i = 0; i < message.parts().size(); i++) {
            Part part = message.parts().get(i);
            Map<String, Object> pe = i < contentExtras.size() ? map(contentExtras.get(i)) : Map.of();
            if (part instanceof Part.Unknown unknown && CUSTOM_PART.equals(unknown.type())) {
                return new CustomMessage(Attributes.decode(map(unknown.fields().get("attributes"))));
            } else if (part instanceof Part.Text text) {
                contents.add(new TextContent(text.text()));
            } else if (part instanceof Part.Media media) {
                contents.add(contentFrom(media.mimeType(), media.uri(), media.data(), pe));
            }
        }
        if (contents.isEmpty()) {
            contents.add(new TextContent(message.text()));
        }
        return UserMessage.builder()
                .name((String) extras.get("name"))
                .contents(contents)
                .attributes(Attributes.decode(map(extras.get("attributes"))))
                .build();
    }

    private static AiMessage assistantFrom(Message message, Map<String, Object> extras) {
        StringBuilder text = null;
        StringBuilder thinking = null;
        List<ToolExecutionRequest> requests = new ArrayList<>();
        List<Object> requestExtras = list(extras.get("requests"));
        for (Part part : message.parts()) {
            if (part instanceof Part.Text t) {
                text = (text == null ? new StringBuilder() : text).append(t.text());
            } else if (part instanceof Part.Reasoning r) {
                thinking = (thinking == null ? new StringBuilder() : thinking).append(r.text());
            } else if (part instanceof Part.ToolCall call) {
                Map<String, Object> re = requests.size() < requestExtras.size()
                        ? map(requestExtras.get(requests.size())) : Map.of();
                String id = re.containsKey("noId") ? null
                        : re.containsKey("blankId") ? (String) re.get("blankId") : call.callId();
                requests.add(ToolExecutionRequest.builder()
                        .id(id)
                        .name(call.name())
                        .arguments(re.containsKey("noArguments") ? null : call.arguments())
                        .build());
            }
        }
        return AiMessage.builder()
                .text(text == null || extras.containsKey("noText") ? null : text.toString())
                .thinking(thinking == null ? null : thinking.toString())
                .toolExecutionRequests(requests)
                .attributes(Attributes.decode(map(extras.get("attributes"))))
                .build();
    }

    private static List<ChatMessage> toolResultsFrom(Message message, Map<String, Object> extras) {
        List<ChatMessage> out = new ArrayList<>();
        for (Part.ToolResult result : message.toolResults()) {
            // extras describe the adapter's own tool messages, which hold one result each
            Map<String, Object> ex = message.toolResults().size() == 1 ? extras : Map.of();
            ToolExecutionResultMessage.Builder builder = ToolExecutionResultMessage.builder()
                    .id(ex.containsKey("noId") ? null : ex.containsKey("blankId") ? (String) ex.get("blankId") : result.callId())
                    .toolName(ex.containsKey("noToolName") ? null : result.name())
                    .isError(ex.containsKey("noIsError") ? null : result.error())
                    .attributes(Attributes.decode(map(ex.get("attributes"))));
            if (ex.containsKey("contents")) {
                List<Content> contents = new ArrayList<>();
                for (Object c : list(ex.get("contents"))) {
                    contents.add(contentFromMap(map(c)));
                }
                builder.contents(contents);
            } else {
                builder.text(result.content());
            }
            out.add(builder.build());
        }
        return out;
    }

    private static Content contentFromMap(Map<String, Object> map) {
        if ("TEXT".equals(map.get("type"))) {
            return new TextContent((String) map.get("text"));
        }
        Object uri = map.get("uri");
        Object data = map.get("data");
        return contentFrom((String) map.get("mimeType"), uri == null ? null : URI.create((String) uri),
                data == null ? null : Base64.getDecoder().decode((String) data), map(map.get("extras")));
    }

    private static Content contentFrom(String mimeType, URI uri, byte[] data, Map<String, Object> extras) {
        String kind = (String) extras.get("kind");
        if (kind == null) {
            kind = mimeType.startsWith("image/") ? "IMAGE" : mimeType.startsWith("audio/") ? "AUDIO"
                    : mimeType.startsWith("video/") ? "VIDEO" : mimeType.equals("application/pdf") ? "PDF" : null;
        }
        if (kind == null) {
            // media LangChain4j has no content type for: say what and where, as text
            return new TextContent("[" + mimeType + (uri != null ? " " + uri : ", " + data.length + " bytes") + "]");
        }
        String mime = extras.containsKey("noMimeType") ? null : mimeType;
        String base64 = extras.containsKey("base64Data") ? (String) extras.get("base64Data")
                : data != null && !extras.containsKey("binary") ? Base64.getEncoder().encodeToString(data) : null;
        switch (kind) {
            case "IMAGE": {
                Image image = Image.builder().url(uri).base64Data(base64).mimeType(mime)
                        .revisedPrompt((String) extras.get("revisedPrompt")).build();
                Object detail = extras.get("detailLevel");
                return new ImageContent(image, detail == null ? ImageContent.DetailLevel.LOW
                        : ImageContent.DetailLevel.valueOf((String) detail));
            }
            case "AUDIO": {
                byte[] binary = extras.containsKey("binary") ? data
                        : extras.containsKey("binaryData") ? Base64.getDecoder().decode((String) extras.get("binaryData")) : null;
                return new AudioContent(Audio.builder().url(uri).binaryData(binary).base64Data(base64).mimeType(mime).build());
            }
            case "VIDEO":
                return new VideoContent(Video.builder().url(uri).base64Data(base64).mimeType(mime).build());
            default:
                return new PdfFileContent(PdfFile.builder().url(uri).base64Data(base64).mimeType(mime).build());
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Map<String, Object> extras(Message message) {
        return map(message.metadata().get(EXTRAS));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        return value instanceof Map ? (Map<String, Object>) value : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return value instanceof List ? (List<Object>) value : List.of();
    }

    static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
