package io.github.conversationstore.internal;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The adapters' rule for a text over the store's limits: it is cut, at a character boundary, to
 * its longest beginning that fits with a marker saying how much was kept, and the marker is
 * appended. Internal: may change without notice. Stateless and thread-safe.
 *
 * @since 0.2.0
 */
public final class Fitting {
    /**
     * What a stored message whose text or tool result was cut carries in its metadata (under the
     * adapter's own extras): the text's length before the cut, in UTF-8 bytes.
     *
     * @since 0.2.0
     */
    public static final String CUT_FROM_BYTES = "cutFromBytes";

    /**
     * What the message bytes limit leaves for everything but a tool result's content (ids, name,
     * metadata, the BSON around them).
     *
     * @since 0.2.0
     */
    public static final int MESSAGE_RESERVE_BYTES = 8 * 1024;

    private Fitting() {}

    /**
     * Returns the text's length in UTF-8 bytes.
     *
     * @param text the text
     * @return its length in bytes
     * @since 0.2.0
     */
    public static long utf8Bytes(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            bytes += charBytes(text, i);
            if (Character.isHighSurrogate(text.charAt(i)) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            }
        }
        return bytes;
    }

    /**
     * Cuts the text to fit {@code maxBytes} UTF-8 bytes with the marker (see the class comment);
     * a text that fits is returned as it is.
     *
     * @param text the text
     * @param maxBytes the most UTF-8 bytes the result may hold, at least 256
     * @return the text, or its beginning followed by the marker
     * @throws IllegalArgumentException if {@code maxBytes} is below 256
     * @since 0.2.0
     */
    public static String fit(String text, int maxBytes) {
        Objects.requireNonNull(text, "text");
        if (maxBytes < 256) {
            throw new IllegalArgumentException("maxBytes must be at least 256, was " + maxBytes);
        }
        if ((long) text.length() * 3 <= maxBytes) {
            return text;
        }
        long total = utf8Bytes(text);
        if (total <= maxBytes) {
            return text;
        }
        // the marker's own length depends on the number kept: reserve room for the longest one
        int room = maxBytes - marker(total, total).getBytes(StandardCharsets.UTF_8).length;
        long kept = 0;
        int end = 0;
        while (end < text.length()) {
            int step = Character.isHighSurrogate(text.charAt(end)) && end + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(end + 1)) ? 2 : 1;
            int bytes = charBytes(text, end);
            if (kept + bytes > room) {
                break;
            }
            kept += bytes;
            end += step;
        }
        return text.substring(0, end) + marker(kept, total);
    }

    private static String marker(long kept, long total) {
        return "\n[cut to fit the store: " + kept + " of " + total + " bytes kept]";
    }

    /** UTF-8 bytes of the code point at {@code i} (an unpaired surrogate as 3, as it would be replaced). */
    private static int charBytes(String text, int i) {
        char c = text.charAt(i);
        if (c < 0x80) {
            return 1;
        }
        if (c < 0x800) {
            return 2;
        }
        if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
            return 4;
        }
        return 3;
    }
}
