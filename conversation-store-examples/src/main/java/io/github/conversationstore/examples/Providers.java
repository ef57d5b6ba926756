package io.github.conversationstore.examples;

import io.github.conversationstore.spi.ReplyProvider;

/** Picks the tutor: Claude when {@code ANTHROPIC_API_KEY} is set, the offline tutor otherwise. */
final class Providers {
    private Providers() {}

    static ReplyProvider fromEnvironment() {
        String key = System.getenv("ANTHROPIC_API_KEY");
        if (key == null || key.isBlank()) {
            return new OfflineTutor();
        }
        return ClaudeReplyProvider.builder().fromEnv().build();
    }

    static String describe(ReplyProvider provider) {
        return provider instanceof ClaudeReplyProvider
                ? "Claude (" + ((ClaudeReplyProvider) provider).model() + ")"
                : "the offline tutor (set ANTHROPIC_API_KEY to talk to Claude)";
    }
}
