package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.toInstant;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

/**
 * Stored form of a message: {@code {_id, id, role, text, timestamp, ...attributes}}, the original
 * backend's field names, with attributes such as {@code grammarSuggestion} as top-level fields. A
 * message that is not one text stores {@code parts: [{type, ...}]} instead of {@code text}; metadata
 * is a {@code metadata} sub-document of native BSON values. The
 * first message of every append also carries the append's id ({@value #APPEND_ID}), so that a
 * repeated append id can be found wherever its messages moved, and its content compared.
 */
final class MessageCodec {
    static final String ELEMENT_ID = "_id";
    static final String ID = "id";
    static final String ROLE = "role";
    static final String TEXT = "text";
    static final String TIMESTAMP = "timestamp";
    /** Field of the first message of a batch: the id of the append that wrote the batch. */
    static final String APPEND_ID = "appendId";
    /** Field of a message that is not one text: its parts, each {@code {type, ...}}. */
    static final String PARTS = "parts";
    /** Field of a message's structured metadata, a sub-document. */
    static final String METADATA = "metadata";

    private final String assistantRoleName;

    /**
     * @param assistantRoleName the stored name of {@link Role#ASSISTANT}: {@code assistant}, or
     *     {@code bot} where the original backend still reads the documents
     */
    MessageCodec(String assistantRoleName) {
        this.assistantRoleName = assistantRoleName;
    }

    Document encode(Message message) {
        String role = message.role() == Role.ASSISTANT ? assistantRoleName : message.role().wireName();
        // _id, as Mongoose gives every subdocument: identifies the stored element, so that a move
        // can remove exactly the elements it archived whatever was pushed meanwhile
        Document doc = new Document(ELEMENT_ID, new ObjectId())
                .append(ID, message.id())
                .append(ROLE, role);
        if (message.isTextOnly()) {
            doc.append(TEXT, message.text());
        } else {
            List<Document> parts = new ArrayList<>(message.parts().size());
            for (Part part : message.parts()) {
                parts.add(new Document(PartForm.write(part, true)));
            }
            doc.append(PARTS, parts);
        }
        doc.append(TIMESTAMP, Date.from(message.timestamp()));
        message.attributes().forEach(doc::append);
        if (!message.metadata().isEmpty()) {
            doc.append(METADATA, JsonValues.toBson(message.metadata()));
        }
        return doc;
    }

    /** Encodes a batch; its first message is marked with the append id. */
    List<Document> encode(List<Message> messages, String appendId) {
        List<Document> out = new ArrayList<>(messages.size());
        for (Message m : messages) {
            out.add(encode(m));
        }
        out.get(0).append(APPEND_ID, appendId);
        return out;
    }

    /**
     * Reads a stored message. Tolerates the original backend's shape: {@code _id} instead of
     * {@code id}, role {@code bot}; other fields become attributes (non-text values as text).
     */
    @SuppressWarnings("unchecked")
    static Message decode(Document doc) {
        Object id = doc.get(ID);
        if (id == null) {
            id = doc.get("_id");
        }
        Object role = doc.get(ROLE);
        Object text = doc.get(TEXT);
        Map<String, String> attributes = new HashMap<>();
        for (Map.Entry<String, Object> e : doc.entrySet()) {
            if (!Checks.RESERVED_MESSAGE_FIELDS.contains(e.getKey()) && e.getValue() != null) {
                attributes.put(e.getKey(), e.getValue().toString());
            }
        }
        List<Part> parts;
        Object storedParts = doc.get(PARTS);
        if (storedParts instanceof List) {
            parts = new ArrayList<>();
            for (Object part : (List<Object>) storedParts) {
                parts.add(PartForm.read((Map<String, ?>) part));
            }
        } else {
            parts = List.of(new Part.Text(text == null ? "" : text.toString()));
        }
        Object metadata = doc.get(METADATA);
        return new Message(
                id == null ? new ObjectId().toHexString() : id.toString(),
                role == null ? Role.USER : Role.fromWireName(role.toString()),
                parts,
                toInstant(doc.get(TIMESTAMP)),
                attributes,
                metadata instanceof Map ? (Map<String, Object>) JsonValues.fromBson(metadata) : Map.of());
    }

    /**
     * Whether a stored message says what {@code requested} says: same role, parts, attributes and metadata.
     * Ids and timestamps are not compared: a caller that rebuilds a request to retry it gets new ones.
     */
    static boolean sameContent(Message stored, Message requested) {
        return stored.role() == requested.role()
                && stored.parts().equals(requested.parts())
                && stored.attributes().equals(requested.attributes())
                && stored.metadata().equals(requested.metadata());
    }

    /** The append id a stored message carries, if it is the first of its batch. */
    static String appendIdOf(Document stored) {
        Object value = stored.get(APPEND_ID);
        return value instanceof String ? (String) value : null;
    }

    /**
     * The BSON size of a stored message, computed from the types of its values, so that it is the
     * same in every JVM (whatever its time zone or locale) and what an append adds to a head's byte
     * count equals what a move takes away.
     */
    static long estimateBytes(Document message) {
        return documentBytes(message);
    }

    /** The BSON size of a message as a store writes it (role {@code assistant}, one append id). */
    static long estimateBytes(Message message) {
        return documentBytes(SIZING.encode(message)) + APPEND_ID.length() + 6 + Checks.MAX_ID_LENGTH;
    }

    private static final MessageCodec SIZING = new MessageCodec(Role.ASSISTANT.wireName());

    static long estimateBytes(List<Document> messages) {
        long bytes = 0;
        for (Document m : messages) {
            bytes += estimateBytes(m);
        }
        return bytes;
    }

    /** Document: int32 length, elements, terminating NUL. */
    private static long documentBytes(Map<String, ?> doc) {
        long bytes = 5;
        for (Map.Entry<String, ?> e : doc.entrySet()) {
            bytes += elementBytes(e.getKey(), e.getValue());
        }
        return bytes;
    }

    /** Element: type byte, key as a C string, value. */
    private static long elementBytes(String key, Object value) {
        return 1 + utf8Length(key) + 1 + valueBytes(value);
    }

    @SuppressWarnings("unchecked")
    private static long valueBytes(Object value) {
        if (value == null || value instanceof org.bson.BsonNull) {
            return 0;
        }
        if (value instanceof String) {
            return 4 + utf8Length((String) value) + 1;
        }
        if (value instanceof Boolean) {
            return 1;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return 4;
        }
        if (value instanceof Long || value instanceof Double || value instanceof Float || value instanceof Date) {
            return 8;
        }
        if (value instanceof ObjectId) {
            return 12;
        }
        if (value instanceof Decimal128 || value instanceof BigDecimal) {
            return 16;
        }
        if (value instanceof Binary) {
            return 4 + 1 + ((Binary) value).length();
        }
        if (value instanceof byte[]) {
            return 4 + 1 + ((byte[]) value).length;
        }
        if (value instanceof Map) {
            return documentBytes((Map<String, ?>) value);
        }
        if (value instanceof Collection) {
            long bytes = 5;
            int i = 0;
            for (Object element : (Collection<?>) value) {
                bytes += elementBytes(Integer.toString(i++), element);
            }
            return bytes;
        }
        return 4 + utf8Length(Objects.toString(value)) + 1;
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
