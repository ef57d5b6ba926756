package io.github.conversationstore.examples;

import com.anthropic.models.messages.RawContentBlockDelta;
import com.anthropic.models.messages.RawContentBlockStartEvent;
import com.anthropic.models.messages.RawMessageStreamEvent;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The text of a streamed Claude reply as it comes, so that its deltas join to what
 * {@link ClaudeReplyProvider#toReply} makes of the whole message: the {@code response} field of the
 * structured reply tool ({@value ClaudeReplyProvider#TOOL}), decoded from the tool input's partial
 * JSON as it streams, or the text blocks of a reply without it. Whitespace at the start is dropped
 * and whitespace is held back until more text follows, because the stored text is stripped.
 *
 * <p>Text blocks are passed on until the structured tool's block starts; from then on only its
 * {@code response} field is (Claude, forced to use the tool, writes no text before it; with
 * extended thinking it may, and the deltas then hold that text too). A step that asks for other
 * tools and fills the structured tool as well is stored with its text blocks while its deltas
 * showed the {@code response} field: the turn's next provider call restarts the text anyway.
 * Not thread-safe: one per stream.
 */
final class ClaudeStreamText implements Consumer<RawMessageStreamEvent> {
    private enum Kind { TEXT, TUTOR }

    private final Consumer<String> deltas;
    private final Map<Long, Kind> blocks = new HashMap<>();
    private final Map<Long, ResponseField> fields = new HashMap<>();
    private boolean tutorSeen;
    private boolean started;
    private final StringBuilder heldWhitespace = new StringBuilder();

    ClaudeStreamText(Consumer<String> deltas) {
        this.deltas = deltas;
    }

    @Override
    public void accept(RawMessageStreamEvent event) {
        if (event.isContentBlockStart()) {
            long index = event.contentBlockStart().orElseThrow().index();
            RawContentBlockStartEvent.ContentBlock block = event.contentBlockStart().orElseThrow().contentBlock();
            if (block.isText()) {
                blocks.put(index, Kind.TEXT);
                // a start block may carry text already (the API sends it empty)
                text(Kind.TEXT, block.text().orElseThrow().text());
            } else if (block.isToolUse() && ClaudeReplyProvider.TOOL.equals(block.toolUse().orElseThrow().name())) {
                blocks.put(index, Kind.TUTOR);
                fields.put(index, new ResponseField(piece -> text(Kind.TUTOR, piece)));
                tutorSeen = true;
            }
        } else if (event.isContentBlockDelta()) {
            long index = event.contentBlockDelta().orElseThrow().index();
            RawContentBlockDelta delta = event.contentBlockDelta().orElseThrow().delta();
            Kind kind = blocks.get(index);
            if (kind == Kind.TEXT && delta.isText()) {
                text(Kind.TEXT, delta.text().orElseThrow().text());
            } else if (kind == Kind.TUTOR && delta.isInputJson()) {
                fields.get(index).accept(delta.inputJson().orElseThrow().partialJson());
            }
        }
    }

    private void text(Kind kind, String piece) {
        if (piece.isEmpty() || (kind == Kind.TEXT && tutorSeen)) {
            return;
        }
        int end = piece.length();
        while (end > 0) {
            int cp = piece.codePointBefore(end);
            if (!Character.isWhitespace(cp)) {
                break;
            }
            end -= Character.charCount(cp);
        }
        if (end == 0) { // only whitespace: held until text follows, dropped at the start
            if (started) {
                heldWhitespace.append(piece);
            }
            return;
        }
        int start = 0;
        if (!started) {
            while (Character.isWhitespace(piece.codePointAt(start))) {
                start += Character.charCount(piece.codePointAt(start));
            }
            started = true;
        }
        String out = heldWhitespace + piece.substring(start, end);
        heldWhitespace.setLength(0);
        heldWhitespace.append(piece, end, piece.length());
        deltas.accept(out);
    }

    /**
     * Decodes the string value of the top-level {@code response} field of a JSON object that comes
     * in pieces, and passes each decoded piece on. Other fields, nested values and malformed input
     * are skipped; a {@code \}{@code u} escape or a surrogate pair split between pieces is joined.
     */
    static final class ResponseField implements Consumer<String> {
        private static final String FIELD = "response";
        private final Consumer<String> out;
        private int depth;
        private boolean inString;
        private boolean isKey;
        private boolean afterColon;
        private boolean escape;
        private int unicodeDigits = -1;
        private int unicodeValue;
        private char pendingHigh;
        private final StringBuilder key = new StringBuilder();
        private String lastKey;
        private boolean inResponse;

        ResponseField(Consumer<String> out) {
            this.out = out;
        }

        @Override
        public void accept(String json) {
            StringBuilder decoded = new StringBuilder();
            for (int i = 0; i < json.length(); i++) {
                char c = json.charAt(i);
                if (inString) {
                    string(c, decoded);
                } else if (c == '"') {
                    inString = true;
                    // a string of the top-level object is a key unless it follows a colon
                    isKey = depth == 1 && !afterColon;
                    inResponse = depth == 1 && afterColon && FIELD.equals(lastKey);
                    if (isKey) {
                        key.setLength(0);
                    }
                } else if (c == '{' || c == '[') {
                    depth++;
                    afterColon = false;
                } else if (c == '}' || c == ']') {
                    depth--;
                } else if (c == ':') {
                    afterColon = depth == 1;
                } else if (c == ',') {
                    afterColon = false;
                    lastKey = null;
                }
            }
            if (decoded.length() > 0) {
                out.accept(decoded.toString());
            }
        }

        private void string(char c, StringBuilder decoded) {
            if (unicodeDigits >= 0) {
                int digit = Character.digit(c, 16);
                unicodeValue = unicodeValue * 16 + Math.max(digit, 0);
                if (++unicodeDigits == 4) {
                    unicodeDigits = -1;
                    emit((char) unicodeValue, decoded);
                }
                return;
            }
            if (escape) {
                escape = false;
                switch (c) {
                    case 'n' -> emit('\n', decoded);
                    case 't' -> emit('\t', decoded);
                    case 'r' -> emit('\r', decoded);
                    case 'b' -> emit('\b', decoded);
                    case 'f' -> emit('\f', decoded);
                    case 'u' -> {
                        unicodeDigits = 0;
                        unicodeValue = 0;
                    }
                    default -> emit(c, decoded); // \" \\ \/
                }
                return;
            }
            if (c == '\\') {
                escape = true;
            } else if (c == '"') {
                inString = false;
                if (isKey) {
                    lastKey = key.toString();
                    isKey = false;
                } else {
                    afterColon = false;
                    inResponse = false;
                    flushHigh(decoded);
                }
            } else {
                emit(c, decoded);
            }
        }

        private void emit(char c, StringBuilder decoded) {
            if (isKey) {
                key.append(c);
                return;
            }
            if (!inResponse) {
                return;
            }
            if (pendingHigh != 0) {
                decoded.append(pendingHigh);
                pendingHigh = 0;
                if (Character.isLowSurrogate(c)) {
                    decoded.append(c);
                    return;
                }
            }
            if (Character.isHighSurrogate(c)) {
                pendingHigh = c; // its low half may come in the next piece
            } else {
                decoded.append(c);
            }
        }

        private void flushHigh(StringBuilder decoded) {
            if (pendingHigh != 0) {
                decoded.append(pendingHigh);
                pendingHigh = 0;
            }
        }
    }
}
