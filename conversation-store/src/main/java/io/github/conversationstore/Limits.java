package io.github.conversationstore;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The configurable limits both stores enforce identically.
 *
 * @param maxTextBytes the longest message text (its text parts together), in UTF-8 bytes
 * @param maxMessageBytes the largest message as stored (BSON: parts, attributes, metadata and all)
 * @param appendIdWindow how many of a session's last appends are remembered for deduplication
 */
record Limits(int maxTextBytes, int maxMessageBytes, int appendIdWindow) {
    static final int DEFAULT_MAX_TEXT_BYTES = ConversationStore.DEFAULT_MAX_TEXT_BYTES;
    static final int DEFAULT_MAX_MESSAGE_BYTES = ConversationStore.DEFAULT_MAX_MESSAGE_BYTES;
    static final int MIN_APPEND_ID_WINDOW = 64;
    /** Default dedup window: in MongoDB, fingerprints of the last 2,048 append ids, about 19 KB per head. */
    static final int DEFAULT_APPEND_ID_WINDOW = ConversationStore.DEFAULT_APPEND_ID_WINDOW;
    static final Limits DEFAULTS = new Limits(DEFAULT_MAX_TEXT_BYTES, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_APPEND_ID_WINDOW);

    Limits {
        Checks.positive("maxTextBytes", maxTextBytes);
        Checks.positive("maxMessageBytes", maxMessageBytes);
        if (appendIdWindow < MIN_APPEND_ID_WINDOW) {
            throw new IllegalArgumentException(
                    "appendIdWindow must be at least " + MIN_APPEND_ID_WINDOW + ", was " + appendIdWindow);
        }
    }

    Limits withMaxTextBytes(int bytes) {
        return new Limits(bytes, maxMessageBytes, appendIdWindow);
    }

    Limits withMaxMessageBytes(int bytes) {
        return new Limits(maxTextBytes, bytes, appendIdWindow);
    }

    Limits withAppendIdWindow(int window) {
        return new Limits(maxTextBytes, maxMessageBytes, window);
    }

    /** Checks what a request's own validation cannot: the store's size bounds. */
    void check(AppendRequest request) {
        List<Message> messages = request.messages();
        for (int i = 0; i < messages.size(); i++) {
            Message message = messages.get(i);
            String text = message.text();
            // a char encodes to at most 3 UTF-8 bytes: skip the exact count for short texts
            if ((long) text.length() * 3 > maxTextBytes) {
                int bytes = text.getBytes(StandardCharsets.UTF_8).length;
                if (bytes > maxTextBytes) {
                    throw new IllegalArgumentException("messages[" + i + "].text must be at most "
                            + maxTextBytes + " bytes in UTF-8, was " + bytes);
                }
            }
            if (!message.isTextOnly() || !message.metadata().isEmpty() || plainUpperBound(message) > maxMessageBytes) {
                long bytes = MessageCodec.estimateBytes(message);
                if (bytes > maxMessageBytes) {
                    throw new IllegalArgumentException("messages[" + i + "] must be at most " + maxMessageBytes
                            + " bytes as stored (BSON: parts, attributes and metadata), was " + bytes);
                }
            }
        }
    }

    /** An upper bound of a text-only message's stored size, cheaper than encoding it. */
    private static long plainUpperBound(Message message) {
        long chars = message.text().length() + 2L * Checks.MAX_ID_LENGTH;
        for (Map.Entry<String, String> e : message.attributes().entrySet()) {
            chars += e.getKey().length() + e.getValue().length() + 8;
        }
        return chars * 3 + 128;
    }

    static int readLimit(int limit) {
        if (limit < 1 || limit > ConversationStore.MAX_READ_LIMIT) {
            throw new IllegalArgumentException(
                    "limit must be between 1 and " + ConversationStore.MAX_READ_LIMIT + ", was " + limit);
        }
        return limit;
    }
}
