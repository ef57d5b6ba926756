package io.github.conversationstore.spi;

import io.github.conversationstore.Message;
import io.github.conversationstore.Part;

/**
 * Counts the tokens a message takes in a model's context, for token windows
 * ({@link io.github.conversationstore.ConversationStore#contextWindow(String, int, TokenCounter)}).
 * Implement it with the model's own tokenizer or count endpoint; it must be thread-safe, and
 * should be fast (it is called once per message of a window).
 *
 * <p>{@link #approximate()} is the offline default: no tokenizer, no network.
 *
 * @since 0.3
 */
@FunctionalInterface
public interface TokenCounter {

    /**
     * How many tokens {@code message} takes.
     *
     * @param message a message (or a summary's content)
     * @return its token count, at least 0
     */
    int count(Message message);

    /**
     * The offline default. For the text of every part (text, reasoning, a tool call's name and
     * arguments, a tool result's content; other parts by their text form): one token per code point
     * of a CJK script (Han, Hiragana, Katakana, Hangul), whose characters models tokenize about one
     * each, plus one token per started 4 UTF-8 bytes of everything else; plus 4 tokens per message
     * for its role and framing. It over-counts English (about 4 characters a token in most models'
     * tokenizers) slightly rather than under-counting, so windows stay within a real budget.
     *
     * @return the default counter
     */
    static TokenCounter approximate() {
        return message -> {
            long tokens = 4;
            for (Part part : message.parts()) {
                tokens += approximate(text(part));
            }
            return (int) Math.min(Integer.MAX_VALUE, tokens);
        };
    }

    /**
     * The default's count for a text: CJK code points one each, every other started 4 UTF-8 bytes one.
     *
     * @param text a text
     * @return its approximate token count
     */
    static long approximate(String text) {
        long cjk = 0;
        long otherBytes = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            Character.UnicodeScript script = Character.UnicodeScript.of(cp);
            if (script == Character.UnicodeScript.HAN || script == Character.UnicodeScript.HIRAGANA
                    || script == Character.UnicodeScript.KATAKANA || script == Character.UnicodeScript.HANGUL) {
                cjk++;
            } else {
                otherBytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            }
        }
        return cjk + (otherBytes + 3) / 4;
    }

    private static String text(Part part) {
        if (part instanceof Part.Text) {
            return ((Part.Text) part).text();
        }
        if (part instanceof Part.ToolCall) {
            Part.ToolCall call = (Part.ToolCall) part;
            return call.name() + call.arguments();
        }
        if (part instanceof Part.ToolResult) {
            return ((Part.ToolResult) part).content();
        }
        if (part instanceof Part.Reasoning) {
            return ((Part.Reasoning) part).text();
        }
        return part.toString();
    }
}
