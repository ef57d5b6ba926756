package io.github.conversationstore.examples;

import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.TokenCounter;
import java.util.Map;

/** Picks the tutor: Claude when {@code ANTHROPIC_API_KEY} is set, the offline tutor otherwise. */
final class Providers {
    private Providers() {}

    static ReplyProvider fromEnvironment() {
        return from(System.getenv());
    }

    static ReplyProvider from(Map<String, String> env) {
        String key = env.get("ANTHROPIC_API_KEY");
        if (key == null || key.isBlank()) {
            return new OfflineTutor();
        }
        return ClaudeReplyProvider.builder().fromEnv(env).build();
    }

    /** Claude's own token count with Claude, else the offline approximation. */
    static TokenCounter tokenCounter(ReplyProvider provider) {
        return provider instanceof ClaudeReplyProvider claude ? claude.tokenCounter() : TokenCounter.approximate();
    }

    static String describe(ReplyProvider provider) {
        return provider instanceof ClaudeReplyProvider
                ? "Claude (" + ((ClaudeReplyProvider) provider).model() + ")"
                : "the offline tutor (set ANTHROPIC_API_KEY to talk to Claude)";
    }
}
