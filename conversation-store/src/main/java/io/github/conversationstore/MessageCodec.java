package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.toInstant;

import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * Stored form of a message: {@code {id, role, text, timestamp, ...attributes}}, the original
 * backend's field names, with attributes such as {@code grammarSuggestion} as top-level fields.
 */
final class MessageCodec {
    static final String ID = "id";
    static final String ROLE = "role";
    static final String TEXT = "text";
    static final String TIMESTAMP = "timestamp";
    /** Fixed BSON cost of a message document and of each field, over its name and value. */
    private static final int DOCUMENT_OVERHEAD = 16;
    private static final int FIELD_OVERHEAD = 8;

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
        Document doc = new Document(ID, message.id())
                .append(ROLE, role)
                .append(TEXT, message.text())
                .append(TIMESTAMP, Date.from(message.timestamp()));
        message.attributes().forEach(doc::append);
        return doc;
    }

    List<Document> encode(List<Message> messages) {
        List<Document> out = new ArrayList<>(messages.size());
        for (Message m : messages) {
            out.add(encode(m));
        }
        return out;
    }

    /**
     * Reads a stored message. Tolerates the original backend's shape: {@code _id} instead of
     * {@code id}, role {@code bot}; other fields become attributes (non-text values as text).
     */
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
        return new Message(
                id == null ? new ObjectId().toHexString() : id.toString(),
                role == null ? Role.USER : Role.fromWireName(role.toString()),
                text == null ? "" : text.toString(),
                toInstant(doc.get(TIMESTAMP)),
                attributes);
    }

    /**
     * Estimates the BSON size of a stored message from its fields. Deterministic, so that what an
     * append adds to a head's byte count and what a move takes away agree exactly.
     */
    static long estimateBytes(Document message) {
        long bytes = DOCUMENT_OVERHEAD;
        for (Map.Entry<String, Object> e : message.entrySet()) {
            bytes += FIELD_OVERHEAD + utf8Length(e.getKey()) + utf8Length(String.valueOf(e.getValue()));
        }
        return bytes;
    }

    static long estimateBytes(List<Document> messages) {
        long bytes = 0;
        for (Document m : messages) {
            bytes += estimateBytes(m);
        }
        return bytes;
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
