package io.github.conversationstore;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.net.URI;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One piece of a {@link Message}'s content. A message holds its parts in order: {@link Text},
 * {@link ToolCall} (an assistant asking for a tool to run), {@link ToolResult} (what the tool
 * returned, in a {@link Role#TOOL} message), {@link Media} (an image or document, by URI or as small
 * inline bytes) and {@link Reasoning} (a model's thinking, with the provider's signature kept exactly).
 *
 * <p>A tool call and its result, stored and read back part by part:
 *
 * <!-- snippet file="io/github/conversationstore/examples/StoreExamplesTest.java" region="parts" -->
 * <pre>{@code
 * Message call = Message.of(Role.ASSISTANT,
 *         Part.text("Let me look that up."),
 *         new Part.ToolCall("call-1", "weather", "{\"city\":\"Lima\"}"));
 * Message result = Message.tool(Part.ToolResult.json("call-1", "weather", "{\"sky\":\"sunny\"}"));
 * store.appendMessages("session-42", "en", List.of(Message.user("Weather in Lima?"), call, result));
 *
 * List<String> seen = new ArrayList<>();
 * for (StoredMessage stored : store.recentMessages("session-42", 20)) {
 *     for (Part part : stored.message().parts()) {
 *         if (part instanceof Part.Text text) {
 *             seen.add(stored.role() + " says " + text.text());
 *         } else if (part instanceof Part.ToolCall toolCall) {
 *             seen.add(stored.role() + " calls " + toolCall.name() + " with " + toolCall.arguments());
 *         } else if (part instanceof Part.ToolResult toolResult) {
 *             seen.add(stored.role() + " answers " + toolResult.content());
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>The set is open: a part of a type written by a newer version of the library reads back as an
 * {@link Unknown} part with all its fields, and is written again unchanged.
 *
 * <p>Each part has a {@linkplain #type() type} name and is stored in MongoDB, and serialized to JSON,
 * as an object with that name in its {@code type} field and the part's fields beside it, for example
 * {@code {"type": "tool_call", "callId": "c1", "name": "conjugate", "arguments": "{\"verb\":\"ir\"}"}}.
 * Tool arguments and JSON tool results are kept as the JSON text the model or tool produced, not
 * parsed: their keys may be anything (such as {@code $ref} or {@code a.b}), which MongoDB field names
 * cannot reliably hold, and the text comes back byte for byte.
 *
 * <p>Parts are immutable values.
 *
 * @since 0.2.0
 */
public sealed interface Part permits Part.Text, Part.ToolCall, Part.ToolResult, Part.Media, Part.Reasoning, Part.Unknown {

    /** Field holding a part's type name, in MongoDB and JSON. */
    String TYPE_FIELD = "type";

    /**
     * Returns the part's type name: {@code text}, {@code tool_call}, {@code tool_result},
     * {@code media}, {@code reasoning}, or a name this version does not know.
     *
     * @return the type name
     */
    String type();

    /**
     * Returns the part's JSON form: its type name under {@value #TYPE_FIELD} and its fields beside it
     * ({@code callId}, {@code name}, {@code arguments}; {@code content}, with {@code json} and
     * {@code error} only when true; {@code mimeType}, {@code uri} or {@code data} in base64, and
     * {@code name} when not empty; {@code text}, {@code signature}, {@code redacted} when true; an
     * unknown part's fields as read).
     *
     * @return the fields, in order
     */
    @JsonValue
    default Map<String, Object> toJson() {
        return PartForm.write(this, false);
    }

    /**
     * Creates a text part.
     *
     * @param text the text, may be empty
     * @return the part
     */
    static Text text(String text) {
        return new Text(text);
    }

    /**
     * Reads a part from its JSON form (the inverse of each part's {@code toJson()}).
     *
     * @param json the fields, with the type name under {@value #TYPE_FIELD}
     * @return the part; an {@link Unknown} one if the type is not known to this version
     * @throws IllegalArgumentException if a field breaks its part's rules
     */
    @JsonCreator
    static Part fromJson(Map<String, Object> json) {
        return PartForm.read(json);
    }

    /**
     * Text.
     *
     * @param text the text, never null (may be empty)
     */
    record Text(String text) implements Part {
        /** Type name of text parts. */
        public static final String TYPE = "text";

        /**
         * Validates the text.
         *
         * @param text the text
         * @throws NullPointerException if {@code text} is null
         */
        public Text {
            text = Checks.wellFormed(Objects.requireNonNull(text, "text"));
        }

        @Override
        public String type() {
            return TYPE;
        }

    }

    /**
     * An assistant's request to run a tool.
     *
     * @param callId the call's id, which the result names, at most 128 characters
     * @param name the tool's name, at most 128 characters
     * @param arguments the arguments as the JSON text the model wrote (usually an object); not
     *     parsed or checked, so a call with malformed arguments is stored as it came
     */
    record ToolCall(String callId, String name, String arguments) implements Part {
        /** Type name of tool call parts. */
        public static final String TYPE = "tool_call";

        /**
         * Validates the components.
         *
         * @param callId the call's id
         * @param name the tool's name
         * @param arguments the arguments as JSON text
         * @throws NullPointerException if a component is null
         * @throws IllegalArgumentException if {@code callId} or {@code name} is blank, too long or
         *     holds a control character
         */
        public ToolCall {
            Checks.identifier("callId", callId, Checks.MAX_ID_LENGTH);
            Checks.identifier("name", name, Checks.MAX_ID_LENGTH);
            arguments = Checks.wellFormed(Objects.requireNonNull(arguments, "arguments"));
        }

        @Override
        public String type() {
            return TYPE;
        }

    }

    /**
     * What a tool returned for one call, in a {@link Role#TOOL} message.
     *
     * @param callId the id of the {@link ToolCall} this answers, at most 128 characters
     * @param name the tool's name, or empty if unknown
     * @param content what the tool returned: text, or JSON text if {@code json}
     * @param json whether {@code content} is JSON text
     * @param error whether the tool failed; {@code content} then says how, for the model to read
     */
    record ToolResult(String callId, String name, String content, boolean json, boolean error) implements Part {
        /** Type name of tool result parts. */
        public static final String TYPE = "tool_result";

        /**
         * Validates the components.
         *
         * @param callId the call's id
         * @param name the tool's name, or empty
         * @param content the result
         * @param json whether the content is JSON text
         * @param error whether the tool failed
         * @throws NullPointerException if a component is null
         * @throws IllegalArgumentException if {@code callId} is blank, too long or holds a control
         *     character, or {@code name} is longer than 128 characters
         */
        public ToolResult {
            Checks.identifier("callId", callId, Checks.MAX_ID_LENGTH);
            Objects.requireNonNull(name, "name");
            if (name.length() > Checks.MAX_ID_LENGTH) {
                throw new IllegalArgumentException(
                        "name must be at most " + Checks.MAX_ID_LENGTH + " characters, was " + name.length());
            }
            name = Checks.wellFormed(name);
            content = Checks.wellFormed(Objects.requireNonNull(content, "content"));
        }

        /**
         * Creates a successful text result.
         *
         * @param callId the call's id
         * @param name the tool's name
         * @param text what the tool returned
         * @return the part
         */
        public static ToolResult text(String callId, String name, String text) {
            return new ToolResult(callId, name, text, false, false);
        }

        /**
         * Creates a successful JSON result.
         *
         * @param callId the call's id
         * @param name the tool's name
         * @param json what the tool returned, as JSON text
         * @return the part
         */
        public static ToolResult json(String callId, String name, String json) {
            return new ToolResult(callId, name, json, true, false);
        }

        /**
         * Creates an error result: the tool failed, and {@code message} tells the model why.
         *
         * @param callId the call's id
         * @param name the tool's name
         * @param message what went wrong
         * @return the part
         */
        public static ToolResult error(String callId, String name, String message) {
            return new ToolResult(callId, name, message, false, true);
        }

        @Override
        public String type() {
            return TYPE;
        }

    }

    /**
     * An image, audio clip or document: a reference by URI, or small inline bytes (at most
     * {@value #MAX_INLINE_BYTES} bytes; keep larger media in object storage and reference them).
     * Exactly one of {@code uri} and {@code data} is set.
     *
     * @param mimeType the media type, such as {@code image/png}
     * @param uri where the media is, or null if inline
     * @param data the inline bytes, or null if referenced by URI; copied, never exposed to change
     * @param name a name for the media, or empty
     */
    record Media(String mimeType, URI uri, byte[] data, String name) implements Part {
        /** Type name of media parts. */
        public static final String TYPE = "media";
        /** Most bytes a media part may hold inline. */
        public static final int MAX_INLINE_BYTES = 64 * 1024;

        /**
         * Validates and copies the components.
         *
         * @param mimeType the media type
         * @param uri the reference, or null
         * @param data the inline bytes, or null
         * @param name a name, or empty
         * @throws NullPointerException if {@code mimeType} or {@code name} is null
         * @throws IllegalArgumentException if {@code mimeType} is not {@code type/subtype}, both or
         *     neither of {@code uri} and {@code data} are given, {@code uri} is not absolute, or
         *     {@code data} is longer than {@value #MAX_INLINE_BYTES} bytes
         */
        public Media {
            Objects.requireNonNull(mimeType, "mimeType");
            int slash = mimeType.indexOf('/');
            if (slash <= 0 || slash == mimeType.length() - 1 || mimeType.chars().anyMatch(c -> c <= ' ')) {
                throw new IllegalArgumentException("mimeType must be a media type such as image/png, was '" + mimeType + "'");
            }
            if ((uri == null) == (data == null)) {
                throw new IllegalArgumentException("exactly one of uri and data must be given, "
                        + (uri == null ? "neither was" : "both were"));
            }
            if (uri != null && !uri.isAbsolute()) {
                throw new IllegalArgumentException("uri must be absolute (with a scheme), was '" + uri + "'");
            }
            if (data != null) {
                if (data.length > MAX_INLINE_BYTES) {
                    throw new IllegalArgumentException("data must be at most " + MAX_INLINE_BYTES
                            + " bytes inline, was " + data.length + "; store the media elsewhere and reference it by uri");
                }
                data = data.clone();
            }
            name = Checks.wellFormed(Objects.requireNonNull(name, "name"));
        }

        /**
         * Creates a reference to media by URI.
         *
         * @param mimeType the media type
         * @param uri where the media is
         * @return the part
         */
        public static Media of(String mimeType, URI uri) {
            return new Media(mimeType, uri, null, "");
        }

        /**
         * Creates inline media.
         *
         * @param mimeType the media type
         * @param data the bytes, at most {@value #MAX_INLINE_BYTES}
         * @return the part
         */
        public static Media inline(String mimeType, byte[] data) {
            return new Media(mimeType, null, data, "");
        }

        /**
         * Returns a copy of the inline bytes.
         *
         * @return the bytes, or null if the media is referenced by URI
         */
        @Override
        public byte[] data() {
            return data == null ? null : data.clone();
        }

        @Override
        public String type() {
            return TYPE;
        }


        byte[] rawData() {
            return data;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Media
                    && mimeType.equals(((Media) o).mimeType)
                    && Objects.equals(uri, ((Media) o).uri)
                    && Arrays.equals(data, ((Media) o).data)
                    && name.equals(((Media) o).name);
        }

        @Override
        public int hashCode() {
            return Objects.hash(mimeType, uri, Arrays.hashCode(data), name);
        }

        @Override
        public String toString() {
            return "Media[mimeType=" + mimeType + (uri != null ? ", uri=" + uri : ", data=" + data.length + " bytes")
                    + (name.isEmpty() ? "" : ", name=" + name) + "]";
        }
    }

    /**
     * A model's reasoning ("thinking"), to be sent back to the same provider as it came: the
     * signature is the provider's opaque proof that the text is its own, kept byte for byte.
     *
     * @param text the reasoning text, empty if redacted
     * @param signature the provider's signature, or for redacted reasoning its opaque data; empty if none
     * @param redacted whether the provider redacted the reasoning (only {@code signature} carries it)
     */
    record Reasoning(String text, String signature, boolean redacted) implements Part {
        /** Type name of reasoning parts. */
        public static final String TYPE = "reasoning";

        /**
         * Validates the components.
         *
         * @param text the reasoning text
         * @param signature the signature
         * @param redacted whether redacted
         * @throws NullPointerException if a component is null
         */
        public Reasoning {
            text = Checks.wellFormed(Objects.requireNonNull(text, "text"));
            signature = Checks.wellFormed(Objects.requireNonNull(signature, "signature"));
        }

        /**
         * Creates reasoning with its signature.
         *
         * @param text the reasoning
         * @param signature the provider's signature
         * @return the part
         */
        public static Reasoning of(String text, String signature) {
            return new Reasoning(text, signature, false);
        }

        @Override
        public String type() {
            return TYPE;
        }

    }

    /**
     * A part of a type this version of the library does not know (written by a newer one), kept
     * whole so that it is written back unchanged.
     *
     * @param type the part's type name, not one of the known ones
     * @param fields the part's other fields, deeply unmodifiable: numbers normalized as in metadata,
     *     other values (BSON types such as dates or object ids included) kept as read
     */
    record Unknown(String type, Map<String, Object> fields) implements Part {
        private static final Set<String> KNOWN =
                Set.of(Text.TYPE, ToolCall.TYPE, ToolResult.TYPE, Media.TYPE, Reasoning.TYPE);

        /**
         * Validates and copies the components.
         *
         * @param type the type name
         * @param fields the other fields
         * @throws NullPointerException if a component is null
         * @throws IllegalArgumentException if {@code type} is blank or a known type name,
         *     {@code fields} holds {@value Part#TYPE_FIELD}, or a field name breaks the rules of
         *     metadata keys
         */
        public Unknown {
            Checks.identifier("type", type, Checks.MAX_ID_LENGTH);
            if (KNOWN.contains(type)) {
                throw new IllegalArgumentException("type must not be a known part type (" + KNOWN + "), was '" + type + "'");
            }
            Objects.requireNonNull(fields, "fields");
            if (fields.containsKey(TYPE_FIELD)) {
                throw new IllegalArgumentException("fields must not hold '" + TYPE_FIELD + "': the type is a component");
            }
            fields = JsonValues.unknownFields(fields);
        }

    }
}
