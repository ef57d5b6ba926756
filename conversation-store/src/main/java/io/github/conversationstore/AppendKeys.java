package io.github.conversationstore;

import static io.github.conversationstore.HeadDocument.APPEND_KEYS;
import static io.github.conversationstore.HeadDocument.APPEND_KEY_BLOCKS;
import static io.github.conversationstore.HeadDocument.ERASED_KEYS;
import static io.github.conversationstore.HeadDocument.ERASED_KEY_BLOCKS;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bson.BsonRegularExpression;
import org.bson.Document;

/**
 * The dedup window of a head: 32-bit fingerprints of the session's last append ids.
 *
 * <p>An append pushes its fingerprint to {@code appendKeys}, an array of integers. A mover, which
 * runs every few dozen messages anyway, packs them {@value #BLOCK} at a time into strings of
 * fixed-width hex tokens ({@code ",0a1b2c3d,5e6f7a8b,...,"}) in {@code appendKeyBlocks}, keeping the
 * newest blocks; the append's filter checks the array with {@code $ne} and the blocks with a
 * {@code $not} regular expression. A head then holds a window of thousands of appends in a few
 * dozen elements: MongoDB (and the embedded server even more) spends time per element on every
 * update, so a plain array of 2,048 fingerprints would make appends to busy sessions a third slower.
 *
 * <p>Fingerprints are the first 4 bytes of the SHA-256 of the append id. Two ids of one session
 * with the same fingerprint are told apart by the ids stored on the messages (see
 * {@link MongoAppender}), so a collision costs time, never correctness.
 */
final class AppendKeys {
    /** Fingerprints per block. */
    static final int BLOCK = 64;

    private AppendKeys() {}

    static int key(String appendId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(appendId.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest, 0, Integer.BYTES).getInt();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String token(int key) {
        return String.format(Locale.ROOT, "%08x", key);
    }

    /** Adds to an append's filter: the head does not hold this fingerprint. */
    static void absentFrom(Document filter, int key) {
        filter.append(APPEND_KEYS, new Document("$ne", key))
                .append(APPEND_KEY_BLOCKS, new Document("$not", new BsonRegularExpression("," + token(key) + ",")));
    }

    /**
     * The {@code $push} of an append's fingerprint. The loose array keeps a whole window itself,
     * so the window holds also where moves (and so packing) are rarer than once per window.
     */
    static Document push(int key, int window) {
        return new Document("$each", List.of(key)).append("$slice", -window);
    }

    /** Whether a head (read with both fields) holds this fingerprint. */
    static boolean heldBy(Document head, int key) {
        return heldBy(head, APPEND_KEYS, APPEND_KEY_BLOCKS, key);
    }

    /** Whether a head (read with both fields) holds this fingerprint among those of an erased conversation. */
    static boolean erasedIn(Document head, int key) {
        return heldBy(head, ERASED_KEYS, ERASED_KEY_BLOCKS, key);
    }

    private static boolean heldBy(Document head, String looseField, String blocksField, int key) {
        if (head.getList(looseField, Number.class, List.of()).stream().anyMatch(k -> k.intValue() == key)) {
            return true;
        }
        String token = "," + token(key) + ",";
        return head.getList(blocksField, String.class, List.of()).stream().anyMatch(b -> b.contains(token));
    }

    /**
     * A tombstone's erased fingerprints as blocks: its packed ones, then its loose ones in one more
     * block. A revived head gets them as its own oldest blocks, so that the dedup window refuses them
     * until it has passed, and keeps a copy to tell them from its own.
     */
    static List<String> erasedBlocks(Document tombstone) {
        List<String> blocks = new ArrayList<>(tombstone.getList(ERASED_KEY_BLOCKS, String.class, List.of()));
        List<Number> loose = tombstone.getList(ERASED_KEYS, Number.class, List.of());
        if (!loose.isEmpty()) {
            StringBuilder block = new StringBuilder(",");
            loose.forEach(k -> block.append(token(k.intValue())).append(','));
            blocks.add(block.toString());
        }
        return blocks;
    }

    /**
     * Adds to a mover's trim {@code update} the packing of {@code head}'s loose fingerprints: whole
     * blocks of the oldest are pulled from the array and pushed as strings, keeping {@code window}
     * fingerprints in blocks. Adds nothing while fewer than a block are loose.
     */
    static void packInto(Document update, Document head, int window) {
        List<Number> loose = head.getList(APPEND_KEYS, Number.class, List.of());
        int blocks = loose.size() / BLOCK;
        if (blocks == 0) {
            return;
        }
        List<Integer> packed = new ArrayList<>(blocks * BLOCK);
        List<String> strings = new ArrayList<>(blocks);
        for (int b = 0; b < blocks; b++) {
            StringBuilder block = new StringBuilder(",");
            for (int i = b * BLOCK; i < (b + 1) * BLOCK; i++) {
                int key = loose.get(i).intValue();
                packed.add(key);
                block.append(token(key)).append(',');
            }
            strings.add(block.toString());
        }
        int keep = Math.max(1, (window + BLOCK - 1) / BLOCK);
        merge(update, "$pull", new Document(APPEND_KEYS, new Document("$in", packed)));
        merge(update, "$push", new Document(APPEND_KEY_BLOCKS, new Document("$each", strings).append("$slice", -keep)));
    }

    /** Adds {@code fields} to the update's {@code operator}, next to what it already has there. */
    private static void merge(Document update, String operator, Document fields) {
        Document existing = update.get(operator, Document.class);
        if (existing == null) {
            update.append(operator, fields);
        } else {
            existing.putAll(fields);
        }
    }
}
