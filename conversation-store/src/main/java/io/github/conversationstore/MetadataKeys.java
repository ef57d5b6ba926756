package io.github.conversationstore;

/**
 * A reversible escape of map keys into keys the store takes in metadata and in the fields of
 * unknown parts: keys from elsewhere (a framework's message metadata, a tool's JSON) may be empty,
 * hold a {@code .} or a NUL, or start with {@code $}, which MongoDB field names cannot.
 *
 * <p>The rule: {@code %} becomes {@code %25}, {@code .} becomes {@code %2E}, NUL becomes
 * {@code %00}, a leading {@code $} becomes {@code %24}, and the empty key becomes {@code %}; every
 * other character stays. {@link #unescape(String)} turns every {@code %} followed by two hex digits
 * back into its character (so {@code %24} anywhere, as older escapes wrote every {@code $}), the lone
 * {@code %} into the empty key, and leaves any other text as it is. For every string {@code k},
 * {@code unescape(escape(k)).equals(k)}; a key that needs no escape is returned as it is. An
 * unpaired surrogate is not escaped: the store still refuses a key holding one.
 *
 * <pre>{@code
 * String stored = MetadataKeys.escape("gen_ai.usage");   // "gen_ai%2Eusage"
 * String key = MetadataKeys.unescape(stored);           // "gen_ai.usage"
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.2.0
 */
public final class MetadataKeys {
    private MetadataKeys() {}

    /**
     * Escapes a key so that the store takes it (see the class comment).
     *
     * @param key any key
     * @return the key itself if the store takes it and it holds no {@code %}, otherwise its escaped form
     * @throws NullPointerException if {@code key} is null
     * @since 0.2.0
     */
    public static String escape(String key) {
        if (key.isEmpty()) {
            return "%";
        }
        StringBuilder out = null;
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            String replacement = c == '%' ? "%25" : c == '.' ? "%2E" : c == '\0' ? "%00"
                    : c == '$' && i == 0 ? "%24" : null;
            if (replacement != null && out == null) {
                out = new StringBuilder(key.length() + 8).append(key, 0, i);
            }
            if (out != null) {
                if (replacement != null) {
                    out.append(replacement);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? key : out.toString();
    }

    /**
     * Reverses {@link #escape(String)} (see the class comment); a key that was never escaped and
     * holds no {@code %} is returned as it is.
     *
     * @param stored a key as stored
     * @return the original key
     * @throws NullPointerException if {@code stored} is null
     * @since 0.2.0
     */
    public static String unescape(String stored) {
        if (stored.equals("%")) {
            return "";
        }
        if (stored.indexOf('%') < 0) {
            return stored;
        }
        StringBuilder out = new StringBuilder(stored.length());
        for (int i = 0; i < stored.length(); i++) {
            char c = stored.charAt(i);
            if (c == '%' && i + 2 < stored.length() && hex(stored.charAt(i + 1)) && hex(stored.charAt(i + 2))) {
                out.append((char) Integer.parseInt(stored.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
