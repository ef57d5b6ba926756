package io.github.conversationstore;

import java.time.Duration;
import java.util.HashMap;
import java.util.IllformedLocaleException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** Argument checks shared by the value types and the stores. Every failure names the argument. */
final class Checks {
    /** Longest session id, in characters. */
    static final int MAX_SESSION_ID_LENGTH = ConversationStore.MAX_SESSION_ID_LENGTH;
    /** Longest message id or append id, in characters. */
    static final int MAX_ID_LENGTH = ConversationStore.MAX_ID_LENGTH;
    /** Most messages in one append. */
    static final int MAX_MESSAGES_PER_APPEND = ConversationStore.MAX_MESSAGES_PER_APPEND;
    /** Field names a stored message uses itself, so attributes cannot take them. */
    static final Set<String> RESERVED_MESSAGE_FIELDS = Set.of("_id", "id", "role", "text", "timestamp", MessageCodec.APPEND_ID, MessageCodec.PARTS, MessageCodec.METADATA);

    private Checks() {}

    static String sessionId(String sessionId) {
        return identifier("sessionId", sessionId, MAX_SESSION_ID_LENGTH);
    }

    static String identifier(String name, String value, int maxLength) {
        Objects.requireNonNull(value, name);
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
        if (value.length() > maxLength) {
            throw new IllegalArgumentException(
                    name + " must be at most " + maxLength + " characters, was " + value.length());
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new IllegalArgumentException(
                        name + " must not contain control characters (found U+"
                                + String.format(Locale.ROOT, "%04X", (int) value.charAt(i)) + " at index " + i + ")");
            }
        }
        int lone = unpairedSurrogate(value);
        if (lone >= 0) {
            throw new IllegalArgumentException(name + " must not contain an unpaired surrogate (found one at index " + lone + ")");
        }
        return value;
    }

    /** The index of the first unpaired UTF-16 surrogate in {@code s}, or -1. */
    static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * {@code s} with every unpaired surrogate (half of a character, as a text cut in the middle of
     * an emoji has) replaced by U+FFFD, as MongoDB's UTF-8 would store it: so that every store
     * returns what it keeps, and a repeat is recognized.
     */
    static String wellFormed(String s) {
        if (s == null || unpairedSurrogate(s) < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                out.append(c).append(s.charAt(++i));
            } else {
                out.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return out.toString();
    }

    /** ISO 639-1 two-letter language codes, as the JDK knows them. */
    private static final Set<String> ISO_639_1 = Set.of(Locale.getISOLanguages());

    /**
     * Checks that {@code language} is a well-formed BCP 47 tag naming a language, and returns its
     * canonical form. Its primary subtag must be an ISO 639 code: two letters known to ISO 639-1, or
     * three letters (ISO 639-2 and 639-3, {@code und} for undetermined). Private-use tags
     * ({@code x-...}) and the grandfathered tags of RFC 5646 (mapped to their preferred forms, such
     * as {@code i-klingon} to {@code tlh}) are accepted; a word such as {@code english}, well-formed
     * but no language code, is not.
     */
    static String language(String language) {
        Objects.requireNonNull(language, "language");
        if (language.isBlank()) {
            throw new IllegalArgumentException("language must be a well-formed BCP 47 tag such as en or zh-CN, was blank");
        }
        String tag;
        try {
            tag = new Locale.Builder().setLanguageTag(language).build().toLanguageTag();
        } catch (IllformedLocaleException e) {
            throw new IllegalArgumentException(
                    "language must be a well-formed BCP 47 tag such as en or zh-CN, was '" + language + "'", e);
        }
        if (tag.startsWith("x-")) {
            return tag;
        }
        String primary = tag.split("-", 2)[0];
        boolean iso639 = primary.length() == 3 || (primary.length() == 2 && ISO_639_1.contains(primary));
        if (!iso639) {
            throw new IllegalArgumentException("language must be a BCP 47 tag whose first subtag is an ISO 639 language"
                    + " code such as en, es or zh-CN, was '" + language + "'");
        }
        return tag;
    }

    static void attributeKey(String name, String key) {
        Objects.requireNonNull(key, name + " key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException(name + " keys must not be empty");
        }
        if (key.charAt(0) == '$') {
            throw new IllegalArgumentException(name + " key '" + key + "' must not start with '$'");
        }
        if (key.indexOf('.') >= 0) {
            throw new IllegalArgumentException(name + " key '" + key + "' must not contain '.'");
        }
        if (key.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(name + " key must not contain the NUL character");
        }
        if (unpairedSurrogate(key) >= 0) {
            throw new IllegalArgumentException(name + " key must not contain an unpaired surrogate");
        }
    }

    /** Checks keys and values of an attribute map and returns an immutable copy (values well-formed). */
    static Map<String, String> attributes(String name, Map<String, String> attributes, Set<String> reserved) {
        Objects.requireNonNull(attributes, name);
        boolean wellFormed = true;
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            attributeKey(name, e.getKey());
            if (reserved.contains(e.getKey())) {
                throw new IllegalArgumentException(name + " key '" + e.getKey() + "' is reserved; reserved keys are " + reserved);
            }
            Objects.requireNonNull(e.getValue(), () -> name + " value of '" + e.getKey() + "'");
            wellFormed &= unpairedSurrogate(e.getValue()) < 0;
        }
        if (wellFormed) {
            return Map.copyOf(attributes);
        }
        Map<String, String> copy = new HashMap<>();
        attributes.forEach((k, v) -> copy.put(k, wellFormed(v)));
        return Map.copyOf(copy);
    }

    static List<Message> messages(List<Message> messages) {
        Objects.requireNonNull(messages, "messages");
        if (messages.isEmpty() || messages.size() > MAX_MESSAGES_PER_APPEND) {
            throw new IllegalArgumentException("messages must hold 1 to " + MAX_MESSAGES_PER_APPEND
                    + " messages per append, had " + messages.size());
        }
        for (int i = 0; i < messages.size(); i++) {
            Objects.requireNonNull(messages.get(i), "messages[" + i + "]");
        }
        return List.copyOf(messages);
    }

    /** Checks a message's parts against its role (see {@link Message}) and returns an immutable copy. */
    static List<Part> parts(Role role, List<Part> parts) {
        Objects.requireNonNull(parts, "parts");
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("parts must hold at least one part");
        }
        List<Part> copy = List.copyOf(parts);
        Map<String, Integer> callIds = new HashMap<>();
        int results = 0;
        for (int i = 0; i < copy.size(); i++) {
            Part part = copy.get(i);
            if (part instanceof Part.ToolCall) {
                if (role != Role.ASSISTANT) {
                    throw new IllegalArgumentException("parts[" + i + "]: a tool_call part belongs in an assistant"
                            + " message, not a " + role.wireName() + " message");
                }
                Integer earlier = callIds.put(((Part.ToolCall) part).callId(), i);
                if (earlier != null) {
                    throw new IllegalArgumentException("parts[" + i + "].callId '" + ((Part.ToolCall) part).callId()
                            + "' repeats the call id of parts[" + earlier + "]");
                }
            } else if (part instanceof Part.ToolResult) {
                if (role != Role.TOOL) {
                    throw new IllegalArgumentException("parts[" + i + "]: a tool_result part belongs in a tool"
                            + " message, not a " + role.wireName() + " message");
                }
                results++;
            } else if (role == Role.TOOL && !(part instanceof Part.Unknown)) {
                throw new IllegalArgumentException("parts[" + i + "]: a tool message holds only tool_result parts,"
                        + " found a " + part.type() + " part");
            }
        }
        if (role == Role.TOOL && results == 0) {
            throw new IllegalArgumentException("parts of a tool message must hold at least one tool_result part");
        }
        return copy;
    }

    static Duration leaseDuration(Duration duration) {
        return atLeast("duration", duration, Duration.ofMillis(1));
    }

    /**
     * Checks that {@code value} is at least {@code minimum} (a whole number of milliseconds or
     * seconds); the error names the argument and the rule.
     */
    static Duration atLeast(String name, Duration value, Duration minimum) {
        if (Objects.requireNonNull(value, name).compareTo(minimum) < 0) {
            long seconds = minimum.toSeconds();
            String rule = minimum.toMillis() % 1000 == 0
                    ? seconds + (seconds == 1 ? " second" : " seconds")
                    : minimum.toMillis() + (minimum.toMillis() == 1 ? " millisecond" : " milliseconds");
            throw new IllegalArgumentException(name + " must be at least " + rule + ", was " + value);
        }
        return value;
    }

    static Duration positive(String name, Duration value) {
        if (Objects.requireNonNull(value, name).isZero() || value.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
        return value;
    }

    static Duration notNegative(String name, Duration value) {
        if (Objects.requireNonNull(value, name).isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, was " + value);
        }
        return value;
    }

    static int positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
        return value;
    }

    static long notNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative, was " + value);
        }
        return value;
    }

    /** A database name MongoDB accepts: 1 to 63 characters, none of {@code / \\ . " $}, space or NUL. */
    static String databaseName(String name) {
        if (name.isEmpty() || name.length() > 63) {
            throw new IllegalArgumentException("database must be 1 to 63 characters, was " + name.length());
        }
        for (char c : "/\\. \"$\0".toCharArray()) {
            if (name.indexOf(c) >= 0) {
                throw new IllegalArgumentException("database must not contain spaces or any of / \\ . \" $ NUL, was '"
                        + name.replace("\0", "\\0") + "'");
            }
        }
        return name;
    }
}
