package io.github.conversationstore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * The layout of a session's head document, and its translation to and from the API's values.
 *
 * <pre>
 * { _id, sessionId, language, createdAt, updatedAt,          -- the original backend's fields, kept
 *   messages: [ {id, role, text, timestamp, ...attributes} ], -- the most recent messages, in order
 *   headSeq: long,          -- sequence number of messages[0]
 *   messageCount: long,     -- headSeq + messages.length, moved in the same update as messages
 *   recentAppends: [ {id, n} ], -- the last appends (append id, message count), oldest first
 *   attributes: { ... } }   -- header attributes
 * </pre>
 */
final class HeadDocument {
    static final String SESSION_ID = "sessionId";
    static final String LANGUAGE = "language";
    static final String CREATED_AT = "createdAt";
    static final String UPDATED_AT = "updatedAt";
    static final String MESSAGES = "messages";
    static final String HEAD_SEQ = "headSeq";
    static final String MESSAGE_COUNT = "messageCount";
    static final String RECENT_APPENDS = "recentAppends";
    static final String APPEND_ID = "id";
    static final String APPEND_SIZE = "n";
    static final String ATTRIBUTES = "attributes";

    static final String MSG_ID = "id";
    static final String MSG_ROLE = "role";
    static final String MSG_TEXT = "text";
    static final String MSG_TIMESTAMP = "timestamp";

    private HeadDocument() {}

    static Document encode(Message message) {
        Document doc = new Document(MSG_ID, message.id())
                .append(MSG_ROLE, message.role().wireName())
                .append(MSG_TEXT, message.text())
                .append(MSG_TIMESTAMP, Date.from(message.timestamp()));
        message.attributes().forEach(doc::append);
        return doc;
    }

    static List<Document> encode(List<Message> messages) {
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
        Object id = doc.get(MSG_ID);
        if (id == null) {
            id = doc.get("_id");
        }
        Object role = doc.get(MSG_ROLE);
        Object text = doc.get(MSG_TEXT);
        Object timestamp = doc.get(MSG_TIMESTAMP);
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
                toInstant(timestamp),
                attributes);
    }

    static Instant toInstant(Object value) {
        if (value instanceof Date) {
            return ((Date) value).toInstant();
        }
        return Instant.EPOCH;
    }

    static long longField(Document doc, String name) {
        Object value = doc.get(name);
        return value instanceof Number ? ((Number) value).longValue() : 0L;
    }

    static ConversationHeader header(Document doc) {
        Map<String, String> attributes = new HashMap<>();
        Object attrs = doc.get(ATTRIBUTES);
        if (attrs instanceof Document) {
            ((Document) attrs).forEach((k, v) -> attributes.put(k, String.valueOf(v)));
        }
        Instant createdAt = toInstant(doc.get(CREATED_AT));
        Object updated = doc.get(UPDATED_AT);
        return new ConversationHeader(
                doc.getString(SESSION_ID),
                String.valueOf(doc.get(LANGUAGE)),
                createdAt,
                updated == null ? createdAt : toInstant(updated),
                longField(doc, MESSAGE_COUNT),
                attributes);
    }
}
