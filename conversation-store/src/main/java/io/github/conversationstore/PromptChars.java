package io.github.conversationstore;

import java.util.List;
import java.util.Map;

/**
 * How many characters a message counts for against a window's budget
 * ({@link TurnService.Builder#windowChars(int)}): every part the model is sent, not only text.
 * A text counts its text; a tool call its id, tool name and arguments; a tool result its id, tool
 * name and content; reasoning its text and signature; media its MIME type, name, and its URI (or,
 * for inline data, the length of the data in Base64); a part of an unknown type its fields as text.
 */
final class PromptChars {
    private PromptChars() {}

    /** The last messages before {@code userSequence}, within the message count and character budget. */
    static List<StoredMessage> window(ConversationStore store, String sessionId, long userSequence, int windowMessages,
            int windowChars) {
        if (windowMessages == 0 || userSequence == 0) {
            return List.of();
        }
        long from = Math.max(0, userSequence - windowMessages);
        List<StoredMessage> recent = store.readMessages(sessionId, from, (int) (userSequence - from));
        // the latest messages whose parts fit the budget together; a message that does not fit ends
        // the window (it and everything older are left out): a window never exceeds its budget
        long chars = 0;
        int start = recent.size();
        while (start > 0) {
            long next = PromptChars.of(recent.get(start - 1).message());
            if (chars + next > windowChars) {
                break;
            }
            chars += next;
            start--;
        }
        return ToolPairs.keepWhole(recent.subList(start, recent.size()));
    }

    static long of(Message message) {
        long chars = 0;
        for (Part part : message.parts()) {
            chars += of(part);
        }
        return chars;
    }

    static long of(Part part) {
        if (part instanceof Part.Text text) {
            return text.text().length();
        }
        if (part instanceof Part.ToolCall call) {
            return (long) call.callId().length() + call.name().length() + call.arguments().length();
        }
        if (part instanceof Part.ToolResult result) {
            return (long) result.callId().length() + result.name().length() + result.content().length();
        }
        if (part instanceof Part.Reasoning reasoning) {
            return (long) length(reasoning.text()) + length(reasoning.signature());
        }
        if (part instanceof Part.Media media) {
            long reference = media.uri() != null ? media.uri().toString().length()
                    : (media.data().length + 2L) / 3 * 4;
            return reference + length(media.mimeType()) + length(media.name());
        }
        if (part instanceof Part.Unknown unknown) {
            Map<String, Object> fields = unknown.fields();
            return (long) length(unknown.type()) + String.valueOf(fields).length();
        }
        return 0;
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }
}
