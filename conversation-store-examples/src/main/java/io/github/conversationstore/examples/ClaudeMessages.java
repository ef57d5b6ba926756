package io.github.conversationstore.examples;

import com.anthropic.core.JsonValue;
import com.anthropic.core.ObjectMappers;
import com.anthropic.models.messages.Base64ImageSource;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.DocumentBlockParam;
import com.anthropic.models.messages.ImageBlockParam;
import com.anthropic.models.messages.MessageParam;
import com.anthropic.models.messages.RedactedThinkingBlockParam;
import com.anthropic.models.messages.TextBlockParam;
import com.anthropic.models.messages.ThinkingBlockParam;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlockParam;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stored messages to Claude's Messages API content blocks, and Claude's blocks back to parts.
 *
 * <p>To Claude: user and tool messages become user turns (tool results first, as the API wants
 * them), assistant messages assistant turns; consecutive messages of one side are joined into one
 * turn, and a conversation starts with a user turn. Text becomes {@code text} blocks (empty text is
 * left out: the API refuses it), tool calls {@code tool_use} (arguments that are not a JSON object
 * are sent as {@code {"arguments": "<the text>"}}, so that a call with malformed arguments can still
 * be sent back with its error result), tool results {@code tool_result} with {@code is_error},
 * images {@code image} blocks and PDFs {@code document} blocks (base64 or URL), other media a text
 * line naming them, reasoning {@code thinking} (or {@code redacted_thinking}) with its signature as
 * it came. Parts of unknown types are sent as the raw block they were read from when Claude wrote
 * them ({@value #CLAUDE_BLOCK} prefix), and left out otherwise. System messages are left out: the
 * system prompt holds the instructions.
 *
 * <p>From Claude: {@code text} to text, {@code tool_use} to a tool call (input as JSON text),
 * {@code thinking} and {@code redacted_thinking} to reasoning, any other block to an unknown part
 * named {@value #CLAUDE_BLOCK} plus its type, holding the block's JSON, so that it goes back as it came.
 */
final class ClaudeMessages {
    /** Type prefix of unknown parts that hold a raw Claude content block. */
    static final String CLAUDE_BLOCK = "claude.";
    private static final String RAW = "json";
    private static final ObjectMapper JSON = ObjectMappers.jsonMapper();

    private ClaudeMessages() {}

    /** The messages as alternating turns starting with a user turn; system messages left out. */
    static List<MessageParam> toParams(List<Message> messages) {
        List<MessageParam> out = new ArrayList<>();
        List<ContentBlockParam> blocks = new ArrayList<>();
        boolean user = true;
        for (Message m : messages) {
            if (m.role() == Role.SYSTEM || (out.isEmpty() && blocks.isEmpty() && m.role() == Role.ASSISTANT)) {
                continue;
            }
            boolean fromUser = m.role() != Role.ASSISTANT;
            if (fromUser != user && !blocks.isEmpty()) {
                out.add(turn(user, blocks));
                blocks = new ArrayList<>();
            }
            user = fromUser;
            for (Part part : m.parts()) {
                ContentBlockParam block = toBlock(part);
                if (block != null) {
                    blocks.add(block);
                }
            }
        }
        if (!blocks.isEmpty()) {
            out.add(turn(user, blocks));
        }
        return out;
    }

    private static MessageParam turn(boolean user, List<ContentBlockParam> blocks) {
        if (!user) {
            return MessageParam.ofAssistantOfContentBlockParams(blocks);
        }
        // tool results first in a user turn, the rest in order after them
        List<ContentBlockParam> ordered = new ArrayList<>(blocks.size());
        blocks.stream().filter(ContentBlockParam::isToolResult).forEach(ordered::add);
        blocks.stream().filter(b -> !b.isToolResult()).forEach(ordered::add);
        return MessageParam.ofUserOfContentBlockParams(ordered);
    }

    @SuppressWarnings("unchecked")
    static ContentBlockParam toBlock(Part part) {
        if (part instanceof Part.Text) {
            String text = ((Part.Text) part).text();
            return text.isBlank() ? null : ContentBlockParam.ofText(TextBlockParam.builder().text(text).build());
        }
        if (part instanceof Part.ToolCall) {
            Part.ToolCall call = (Part.ToolCall) part;
            return ContentBlockParam.ofToolUse(ToolUseBlockParam.builder().id(call.callId()).name(call.name())
                    .input(JsonValue.from(inputObject(call.arguments()))).build());
        }
        if (part instanceof Part.ToolResult) {
            Part.ToolResult result = (Part.ToolResult) part;
            return ContentBlockParam.ofToolResult(ToolResultBlockParam.builder().toolUseId(result.callId())
                    .content(result.content()).isError(result.error()).build());
        }
        if (part instanceof Part.Media) {
            return media((Part.Media) part);
        }
        if (part instanceof Part.Reasoning) {
            Part.Reasoning reasoning = (Part.Reasoning) part;
            if (reasoning.redacted()) {
                return ContentBlockParam.ofRedactedThinking(RedactedThinkingBlockParam.builder().data(reasoning.signature()).build());
            }
            return ContentBlockParam.ofThinking(ThinkingBlockParam.builder().thinking(reasoning.text())
                    .signature(reasoning.signature()).build());
        }
        Part.Unknown unknown = (Part.Unknown) part;
        if (unknown.type().startsWith(CLAUDE_BLOCK) && unknown.fields().get(RAW) instanceof String raw) {
            try {
                return JSON.readValue(raw, ContentBlockParam.class);
            } catch (JsonProcessingException e) {
                return null;
            }
        }
        return null;
    }

    /** Tool arguments as the JSON object Claude's {@code input} must be. */
    private static Object inputObject(String arguments) {
        try {
            Object parsed = JSON.readValue(arguments, Object.class);
            if (parsed instanceof Map) {
                return parsed;
            }
        } catch (JsonProcessingException e) {
            // fall through: not JSON
        }
        return Map.of("arguments", arguments);
    }

    private static ContentBlockParam media(Part.Media media) {
        String type = media.mimeType();
        if (type.startsWith("image/")) {
            ImageBlockParam.Builder image = ImageBlockParam.builder();
            if (media.uri() != null) {
                image.urlSource(media.uri().toString());
            } else {
                image.source(Base64ImageSource.builder().data(Base64.getEncoder().encodeToString(media.data()))
                        .mediaType(Base64ImageSource.MediaType.of(type)).build());
            }
            return ContentBlockParam.ofImage(image.build());
        }
        if (type.equals("application/pdf")) {
            DocumentBlockParam.Builder document = DocumentBlockParam.builder();
            if (media.uri() != null) {
                document.urlSource(media.uri().toString());
            } else {
                document.base64Source(Base64.getEncoder().encodeToString(media.data()));
            }
            if (!media.name().isEmpty()) {
                document.title(media.name());
            }
            return ContentBlockParam.ofDocument(document.build());
        }
        String where = media.uri() != null ? media.uri().toString() : media.data().length + " bytes inline";
        return ContentBlockParam.ofText(TextBlockParam.builder().text("[" + type + ": " + where + "]").build());
    }

    /** Claude's content blocks as parts, in order. */
    static List<Part> toParts(List<ContentBlock> blocks) {
        List<Part> parts = new ArrayList<>(blocks.size());
        for (ContentBlock block : blocks) {
            if (block.isText()) {
                parts.add(Part.text(block.asText().text()));
            } else if (block.isToolUse()) {
                parts.add(new Part.ToolCall(block.asToolUse().id(), block.asToolUse().name(), json(block.asToolUse()._input())));
            } else if (block.isThinking()) {
                parts.add(Part.Reasoning.of(block.asThinking().thinking(), block.asThinking().signature()));
            } else if (block.isRedactedThinking()) {
                parts.add(new Part.Reasoning("", block.asRedactedThinking().data(), true));
            } else {
                Map<String, Object> fields = new LinkedHashMap<>();
                fields.put(RAW, json(block._json().orElse(JsonValue.from(Map.of()))));
                parts.add(new Part.Unknown(CLAUDE_BLOCK + block.type().asString(), fields));
            }
        }
        return parts;
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write a content block as JSON", e);
        }
    }
}
