package io.github.conversationstore;

import com.mongodb.MongoClientSettings;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.SecretKey;
import org.bson.RawBsonDocument;
import org.bson.codecs.Codec;
import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.ObjectId;

/**
 * The one place that encrypts a stored message document (and, later, a draft or a summary: any
 * document whose content fields are to be sealed). A sealed message keeps in clear what the store
 * needs to find, order and deduplicate it ({@value #CLEAR_FIELDS_DOC}), and holds everything else
 * (text or parts, attributes, metadata) in one field {@value #SEALED}: the BSON of those fields
 * encrypted with AES-256-GCM under the conversation's data key:
 *
 * <pre>
 * sealed = version (1 byte, 1) || data key id (12 bytes) || nonce (12) || ciphertext || tag (16)
 * associated data = "conversation-store/message/1" 0 sessionId 0 _id 0 id 0 role 0 data key id
 * </pre>
 *
 * The associated data binds the ciphertext to its session and to the clear fields that identify
 * the message, so a sealed value copied into another message or conversation does not open.
 */
final class MessageCipher {
    /** The field holding a sealed message's content. */
    static final String SEALED = "sealed";
    static final String CLEAR_FIELDS_DOC = "_id, id, role, timestamp, appendId";
    /** The fields that stay in clear: identity, order, role, time, the append id marker. */
    static final Set<String> CLEAR_FIELDS = Set.of(MessageCodec.ELEMENT_ID, MessageCodec.ID, MessageCodec.ROLE,
            MessageCodec.TIMESTAMP, MessageCodec.APPEND_ID);
    private static final byte VERSION = 1;
    private static final int HEADER = 1 + 12;
    private static final Codec<Document> CODEC = MongoClientSettings.getDefaultCodecRegistry().get(Document.class);
    private static final byte[] CONTEXT = "conversation-store/message/1".getBytes(StandardCharsets.US_ASCII);

    private MessageCipher() {}

    /** Whether a stored message is sealed. */
    static boolean isSealed(Document stored) {
        return stored.get(SEALED) instanceof Binary;
    }

    /** The id of the data key that sealed {@code stored}; null if it is not sealed or not of a known version. */
    static ObjectId keyIdOf(Document stored) {
        return stored.get(SEALED) instanceof Binary binary ? keyIdOf(binary.getData()) : null;
    }

    /** The id of the data key that sealed a value; null if it is not of a known version. */
    static ObjectId keyIdOf(byte[] data) {
        if (data.length < HEADER || data[0] != VERSION) {
            return null;
        }
        byte[] id = new byte[12];
        System.arraycopy(data, 1, id, 0, 12);
        return new ObjectId(id);
    }

    /**
     * Seals one header attribute's value (the same layout as a message's sealed field; the
     * associated data names the session and the attribute's key).
     */
    static byte[] sealValue(String sessionId, DataKey key, String name, String value) {
        byte[] keyId = key.id().toByteArray();
        try {
            byte[] sealed = Aead.seal(key.key(), value.getBytes(StandardCharsets.UTF_8), valueAad(sessionId, name, keyId), HEADER);
            sealed[0] = VERSION;
            System.arraycopy(keyId, 0, sealed, 1, keyId.length);
            return sealed;
        } catch (GeneralSecurityException e) {
            throw new EncryptionException("could not encrypt a header attribute of session '" + sessionId + "'", e);
        }
    }

    static String openValue(String sessionId, SecretKey key, String name, byte[] sealed) {
        byte[] keyId = new byte[12];
        System.arraycopy(sealed, 1, keyId, 0, 12);
        try {
            return new String(Aead.open(key, sealed, HEADER, valueAad(sessionId, name, keyId)), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new EncryptionException("a header attribute of session '" + sessionId
                    + "' does not authenticate under its data key: it was altered, or copied from elsewhere", e);
        }
    }

    private static byte[] valueAad(String sessionId, String name, byte[] keyId) {
        byte[] text = ("conversation-store/header/1\0" + sessionId + "\0" + name + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[text.length + keyId.length];
        System.arraycopy(text, 0, out, 0, text.length);
        System.arraycopy(keyId, 0, out, text.length, keyId.length);
        return out;
    }

    /** Seals every message of a batch; the documents given stay as they are. */
    static List<Document> seal(String sessionId, DataKey key, List<Document> plain) {
        List<Document> out = new ArrayList<>(plain.size());
        for (Document doc : plain) {
            out.add(seal(sessionId, key, doc));
        }
        return out;
    }

    /** A sealed copy of a plaintext message document. */
    static Document seal(String sessionId, DataKey key, Document plain) {
        Document clear = new Document();
        Document content = new Document();
        for (Map.Entry<String, Object> e : plain.entrySet()) {
            (CLEAR_FIELDS.contains(e.getKey()) ? clear : content).append(e.getKey(), e.getValue());
        }
        ByteBuffer bson = new RawBsonDocument(content, CODEC).getByteBuffer().asNIO();
        byte[] plaintext = new byte[bson.remaining()];
        bson.get(plaintext);
        byte[] keyId = key.id().toByteArray();
        try {
            byte[] sealed = Aead.seal(key.key(), plaintext, aad(sessionId, clear, keyId), HEADER);
            sealed[0] = VERSION;
            System.arraycopy(keyId, 0, sealed, 1, keyId.length);
            // the clear fields in their usual order, then the sealed content where the content was
            Document out = new Document();
            boolean placed = false;
            for (String name : plain.keySet()) {
                if (CLEAR_FIELDS.contains(name)) {
                    out.append(name, plain.get(name));
                } else if (!placed) {
                    out.append(SEALED, new Binary(sealed));
                    placed = true;
                }
            }
            if (!placed) {
                out.append(SEALED, new Binary(sealed));
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new EncryptionException("could not encrypt a message of session '" + sessionId + "'", e);
        } finally {
            Aead.wipe(plaintext);
        }
    }

    /** The plaintext form of a sealed message (fields in their stored order, the content where it was sealed). */
    static Document open(String sessionId, SecretKey key, Document stored) {
        byte[] data = ((Binary) stored.get(SEALED)).getData();
        Document clear = new Document();
        for (String name : CLEAR_FIELDS) {
            if (stored.containsKey(name)) {
                clear.append(name, stored.get(name));
            }
        }
        byte[] keyId = new byte[12];
        System.arraycopy(data, 1, keyId, 0, 12);
        byte[] plaintext;
        try {
            plaintext = Aead.open(key, data, HEADER, aad(sessionId, clear, keyId));
        } catch (GeneralSecurityException e) {
            throw new EncryptionException("a message of session '" + sessionId
                    + "' does not authenticate under its data key: it was altered, or copied from another message", e);
        }
        Document content = new RawBsonDocument(plaintext).decode(CODEC);
        Aead.wipe(plaintext);
        Document out = new Document();
        for (Map.Entry<String, Object> e : stored.entrySet()) {
            if (SEALED.equals(e.getKey())) {
                out.putAll(content);
            } else {
                out.append(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    private static byte[] aad(String sessionId, Document clear, byte[] keyId) {
        StringBuilder sb = new StringBuilder();
        sb.append('\0').append(sessionId)
                .append('\0').append(clear.get(MessageCodec.ELEMENT_ID))
                .append('\0').append(clear.get(MessageCodec.ID))
                .append('\0').append(clear.get(MessageCodec.ROLE))
                .append('\0');
        byte[] text = sb.toString().getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[CONTEXT.length + text.length + keyId.length];
        System.arraycopy(CONTEXT, 0, out, 0, CONTEXT.length);
        System.arraycopy(text, 0, out, CONTEXT.length, text.length);
        System.arraycopy(keyId, 0, out, CONTEXT.length + text.length, keyId.length);
        return out;
    }

}
