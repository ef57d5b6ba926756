package io.github.conversationstore.spi;

import java.util.HashSet;
import java.util.Set;

/**
 * Decides whether a text is one strict JSON object (RFC 8259): nothing but whitespace after it, no
 * member name twice in one object (a reader would keep either value), nesting at most
 * {@value #MAX_NESTING} levels. No relaxed forms: no single quotes, unquoted names, comments,
 * trailing commas, {@code NaN}, leading zeros, control characters in strings, or extended JSON such
 * as {@code ObjectId(..)}.
 */
final class StrictJson {
    /** Deepest nesting of objects and arrays accepted: MongoDB's own limit for documents. */
    static final int MAX_NESTING = 100;

    private final String text;
    private int at;

    private StrictJson(String text) {
        this.text = text;
    }

    /** Whether {@code text} is exactly one JSON object, by the rules above. */
    static boolean isObject(String text) {
        StrictJson parser = new StrictJson(text);
        try {
            parser.space();
            if (parser.peek() != '{') {
                return false;
            }
            parser.value(1);
            parser.space();
            return parser.at == text.length();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private char peek() {
        if (at >= text.length()) {
            throw new IllegalArgumentException("unexpected end");
        }
        return text.charAt(at);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw new IllegalArgumentException("expected " + c);
        }
        at++;
    }

    private void space() {
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            at++;
        }
    }

    private void value(int depth) {
        char c = peek();
        switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> number();
        }
    }

    private void object(int depth) {
        nest(depth);
        expect('{');
        space();
        if (peek() == '}') {
            at++;
            return;
        }
        Set<String> names = new HashSet<>();
        while (true) {
            space();
            if (!names.add(string())) {
                throw new IllegalArgumentException("a name twice");
            }
            space();
            expect(':');
            space();
            value(depth + 1);
            space();
            if (peek() == ',') {
                at++;
                continue;
            }
            expect('}');
            return;
        }
    }

    private void array(int depth) {
        nest(depth);
        expect('[');
        space();
        if (peek() == ']') {
            at++;
            return;
        }
        while (true) {
            space();
            value(depth + 1);
            space();
            if (peek() == ',') {
                at++;
                continue;
            }
            expect(']');
            return;
        }
    }

    private static void nest(int depth) {
        if (depth > MAX_NESTING) {
            throw new IllegalArgumentException("nested too deep");
        }
    }

    private String string() {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = peek();
            at++;
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                throw new IllegalArgumentException("control character in a string");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = peek();
            at++;
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (at + 4 > text.length()) {
                        throw new IllegalArgumentException("short \\u escape");
                    }
                    int code = 0;
                    for (int i = 0; i < 4; i++) {
                        int digit = Character.digit(text.charAt(at++), 16);
                        if (digit < 0) {
                            throw new IllegalArgumentException("bad \\u escape");
                        }
                        code = code * 16 + digit;
                    }
                    out.append((char) code);
                }
                default -> throw new IllegalArgumentException("bad escape");
            }
        }
    }

    private void literal(String word) {
        if (!text.startsWith(word, at)) {
            throw new IllegalArgumentException("expected " + word);
        }
        at += word.length();
    }

    /** {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?} */
    private void number() {
        if (peek() == '-') {
            at++;
        }
        if (peek() == '0') {
            at++;
        } else {
            digits();
        }
        if (at < text.length() && text.charAt(at) == '.') {
            at++;
            digits();
        }
        if (at < text.length() && (text.charAt(at) == 'e' || text.charAt(at) == 'E')) {
            at++;
            if (peek() == '+' || peek() == '-') {
                at++;
            }
            digits();
        }
    }

    private void digits() {
        int start = at;
        while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
            at++;
        }
        if (at == start) {
            throw new IllegalArgumentException("expected a digit");
        }
    }
}
