package io.github.conversationstore;

import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.bson.types.Binary;

/**
 * Field names of the two document kinds, and reading the header. See {@code docs/ARCHITECTURE.md}.
 *
 * <pre>
 * head:    { _id, sessionId, language, createdAt, updatedAt,      -- the original backend's fields
 *            messages: [ {id, role, text, timestamp, ...} ],      -- the most recent messages
 *            headSeq, messageCount, headBytes, generation,        -- counters, moved atomically
 *            appendKeys: [ int ], appendKeyBlocks: [ string ],     -- fingerprints of recent append ids
 *            attributes: {...}, owner?: {tenant?, userId}, lease?, moverUntil?,
 *            fork?: {s, g, q, chain: [{s, g, to, ...}]},           -- a fork's origin, see MongoForks
 *            erasedAt?, erasedKeys?, erasedKeyBlocks?, erasedOwner?, erasedFork? } -- a tombstone's, see MongoErasure
 * archive: { _id: {s: sessionId, g: generation, q: firstSeq},    -- immutable once written
 *            sessionId, generation, endSeq, bytes, archivedAt, messages: [...] }
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
    static final String HEAD_BYTES = "headBytes";
    static final String GENERATION = "generation";
    /** Fingerprints of the session's last append ids not yet packed, newest last; see {@link AppendKeys}. */
    static final String APPEND_KEYS = "appendKeys";
    /** Packed fingerprints of older append ids; see {@link AppendKeys}. */
    static final String APPEND_KEY_BLOCKS = "appendKeyBlocks";
    /** The append ids of version 0.1 heads; read for compatibility, no longer written. */
    static final String RECENT_APPENDS = "recentAppends";
    static final String APPEND_ID = "id";
    static final String ATTRIBUTES = "attributes";
    /** Set on a tombstone: the head of a deleted conversation, until the next append revives it. */
    static final String ERASED_AT = "erasedAt";
    /** The loose fingerprints of the deleted conversation's append ids (renamed from {@link #APPEND_KEYS}). */
    static final String ERASED_KEYS = "erasedKeys";
    /** The packed fingerprints of deleted conversations' append ids (from {@link #APPEND_KEY_BLOCKS}). */
    static final String ERASED_KEY_BLOCKS = "erasedKeyBlocks";
    /** Whom the conversation belongs to: {@code {tenant?, userId}}, set by the first append naming one. */
    static final String OWNER = "owner";
    /** A tombstone's owner, until every chunk of the erased conversation is gone (see MongoErasure). */
    static final String ERASED_OWNER = "erasedOwner";
    /**
     * A fork's origin: {@code {s: parent, g: parent's generation, q: atSequence, chain: [{s, g, to,
     * dataKeyId?, dataKey?}]}}, the chain root first (see MongoForks).
     */
    static final String FORK = "fork";
    /** A tombstone's fork origin, until its references are released (see MongoErasure). */
    static final String ERASED_FORK = "erasedFork";
    static final String FORK_SESSION = "s";
    static final String FORK_GENERATION = "g";
    static final String FORK_AT = "q";
    static final String FORK_CHAIN = "chain";
    static final String SEGMENT_TO = "to";
    static final String OWNER_TENANT = "tenant";
    static final String OWNER_USER = "userId";
    static final String LEASE = "lease";
    static final String LEASE_HOLDER = "holder";
    static final String LEASE_EXPIRES_AT = "expiresAt";
    /** What the lease's holder works on (a turn id), if given: a holder with the same key may take the lease over. */
    static final String LEASE_TURN_KEY = "turnKey";

    static final String CHUNK_SESSION = "s";
    static final String CHUNK_GENERATION = "g";
    static final String CHUNK_FIRST_SEQ = "q";
    static final String END_SEQ = "endSeq";
    static final String BYTES = "bytes";
    static final String ARCHIVED_AT = "archivedAt";

    private HeadDocument() {}

    static Instant toInstant(Object value) {
        return value instanceof Date date ? date.toInstant() : Instant.EPOCH;
    }

    static long longField(Document doc, String name) {
        Object value = doc.get(name);
        return value instanceof Number number ? number.longValue() : 0L;
    }

    /** Whether the head was written by this library (or adopted); the original backend's are not. */
    static boolean adopted(Document head) {
        return head.get(HEAD_BYTES) != null;
    }

    /** The owner as stored: the tenant (when there is one) before the user, so equality matches. */
    static Document ownerDocument(Owner owner) {
        Document doc = new Document();
        if (owner.tenant() != null) {
            doc.append(OWNER_TENANT, owner.tenant());
        }
        return doc.append(OWNER_USER, owner.userId());
    }

    static Owner owner(Document head) {
        Object value = head.get(OWNER);
        return value instanceof Document doc ? new Owner(doc.getString(OWNER_TENANT), doc.getString(OWNER_USER)) : null;
    }

    static List<Document> messages(Document doc) {
        return doc.getList(MESSAGES, Document.class, List.of());
    }

    /**
     * The message count of a head read with its messages (or one field of each): {@code headSeq}
     * plus the array's length, which holds whoever pushed (an original backend's document has no
     * counters; in a shared collection the old backend pushes without them).
     */
    static long messageCount(Document head) {
        return longField(head, HEAD_SEQ) + messages(head).size();
    }

    /** Opens a header attribute's value sealed with the head's data key (see MongoDataKeys). */
    @FunctionalInterface
    interface AttributeOpener {
        String open(Document head, String key, Binary sealed);
    }

    static ConversationHeader header(Document doc, long messageCount, AttributeOpener opener) {
        Map<String, String> attributes = new HashMap<>();
        Object attrs = doc.get(ATTRIBUTES);
        if (attrs instanceof Document document) {
            document.forEach((k, v) -> attributes.put(k, v instanceof Binary sealed
                    ? opener.open(doc, k, sealed) : String.valueOf(v)));
        }
        Instant createdAt = toInstant(doc.get(CREATED_AT));
        Object updated = doc.get(UPDATED_AT);
        return new ConversationHeader(
                doc.getString(SESSION_ID),
                String.valueOf(doc.get(LANGUAGE)),
                createdAt,
                updated == null ? createdAt : toInstant(updated),
                messageCount,
                attributes,
                owner(doc),
                forkOrigin(doc));
    }

    /** Where a fork came from, or null for a head that is no fork. */
    static ForkOrigin forkOrigin(Document head) {
        Object value = head.get(FORK);
        if (!(value instanceof Document fork)) {
            return null;
        }
        Object generation = fork.get(FORK_GENERATION);
        return new ForkOrigin(fork.getString(FORK_SESSION),
                generation instanceof org.bson.types.ObjectId id ? id.toHexString() : String.valueOf(generation),
                longField(fork, FORK_AT));
    }

    /** Where a head's own messages begin: a fork's {@code atSequence}, 0 otherwise. */
    static long ownStart(Document head) {
        Object value = head.get(FORK);
        return value instanceof Document fork ? longField(fork, FORK_AT) : 0L;
    }

    /** A fork's chain of segments, root first; empty for a head that is no fork. */
    static List<Document> chain(Document head) {
        Object value = head.get(FORK);
        return value instanceof Document fork ? fork.getList(FORK_CHAIN, Document.class, List.of()) : List.of();
    }
}
