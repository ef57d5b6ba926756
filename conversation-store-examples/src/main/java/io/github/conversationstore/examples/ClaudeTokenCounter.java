package io.github.conversationstore.examples;

import com.anthropic.client.AnthropicClient;
import com.anthropic.errors.AnthropicException;
import com.anthropic.models.messages.MessageCountTokensParams;
import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.spi.TokenCounter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Claude's own token count of a message, through the count-tokens endpoint of the Anthropic API:
 * the message's text (text parts, tool calls' names and arguments, tool results, reasoning) sent as
 * one user turn, framing included. Counts are cached per message id and content (windows count the
 * same messages turn after turn); when the endpoint cannot be reached, the offline
 * {@link TokenCounter#approximate()} count is used for that message, so a window is never refused
 * for a network error.
 */
final class ClaudeTokenCounter implements TokenCounter {
    private static final int CACHE = 10_000;
    private static final TokenCounter FALLBACK = TokenCounter.approximate();

    private final AnthropicClient client;
    private final String model;
    private final Map<String, Integer> counted = Collections.synchronizedMap(new LinkedHashMap<>(256, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
            return size() > CACHE;
        }
    });

    ClaudeTokenCounter(AnthropicClient client, String model) {
        this.client = client;
        this.model = model;
    }

    @Override
    public int count(Message message) {
        String text = text(message);
        String key = message.id() + ":" + text.hashCode() + ":" + text.length();
        Integer cached = counted.get(key);
        if (cached != null) {
            return cached;
        }
        int tokens;
        try {
            tokens = (int) client.messages().countTokens(MessageCountTokensParams.builder().model(model)
                    .addUserMessage(text.isEmpty() ? " " : text).build()).inputTokens();
        } catch (AnthropicException e) {
            return FALLBACK.count(message);
        }
        counted.put(key, tokens);
        return tokens;
    }

    private static String text(Message message) {
        StringBuilder out = new StringBuilder();
        for (Part part : message.parts()) {
            if (part instanceof Part.Text t) {
                out.append(t.text());
            } else if (part instanceof Part.ToolCall c) {
                out.append(c.name()).append(' ').append(c.arguments());
            } else if (part instanceof Part.ToolResult r) {
                out.append(r.content());
            } else if (part instanceof Part.Reasoning r) {
                out.append(r.text() == null ? "" : r.text());
            }
            out.append('\n');
        }
        return out.toString();
    }
}
