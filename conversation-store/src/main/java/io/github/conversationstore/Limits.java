package io.github.conversationstore;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The configurable limits both stores enforce identically.
 *
 * @param maxTextBytes the longest message text, in UTF-8 bytes
 * @param appendIdWindow how many of a session's last appends are remembered for deduplication
 */
record Limits(int maxTextBytes, int appendIdWindow) {
    static final int DEFAULT_MAX_TEXT_BYTES = 64 * 1024;
    static final int MIN_APPEND_ID_WINDOW = 64;
    /** Default dedup window: in MongoDB, fingerprints of the last 2,048 append ids, about 19 KB per head. */
    static final int DEFAULT_APPEND_ID_WINDOW = 2048;
    static final Limits DEFAULTS = new Limits(DEFAULT_MAX_TEXT_BYTES, DEFAULT_APPEND_ID_WINDOW);

    Limits {
        Checks.positive("maxTextBytes", maxTextBytes);
        if (appendIdWindow < MIN_APPEND_ID_WINDOW) {
            throw new IllegalArgumentException(
                    "appendIdWindow must be at least " + MIN_APPEND_ID_WINDOW + ", was " + appendIdWindow);
        }
    }

    Limits withMaxTextBytes(int bytes) {
        return new Limits(bytes, appendIdWindow);
    }

    Limits withAppendIdWindow(int window) {
        return new Limits(maxTextBytes, window);
    }

    /** Checks what a request's own validation cannot: the store's text size bound. */
    void check(AppendRequest request) {
        List<Message> messages = request.messages();
        for (int i = 0; i < messages.size(); i++) {
            String text = messages.get(i).text();
            // a char encodes to at most 3 UTF-8 bytes: skip the exact count for short texts
            if ((long) text.length() * 3 > maxTextBytes) {
                int bytes = text.getBytes(StandardCharsets.UTF_8).length;
                if (bytes > maxTextBytes) {
                    throw new IllegalArgumentException("messages[" + i + "].text must be at most "
                            + maxTextBytes + " bytes in UTF-8, was " + bytes);
                }
            }
        }
    }

    static int readLimit(int limit) {
        if (limit < 1 || limit > ConversationStore.MAX_READ_LIMIT) {
            throw new IllegalArgumentException(
                    "limit must be between 1 and " + ConversationStore.MAX_READ_LIMIT + ", was " + limit);
        }
        return limit;
    }
}
