package io.github.conversationstore.springai;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import java.util.List;

/** Defaults and checks the builders share. */
final class Settings {
    static final String DEFAULT_LANGUAGE = "und";
    static final int DEFAULT_MAX_MESSAGES = 20;

    private Settings() {}

    /** Checks a language tag by the store's own rule, and returns its canonical form. */
    static String language(String value) {
        return AppendRequest.of("language-check", value, List.of(Message.user("-"))).language();
    }

    static int maxMessages(int value) {
        if (value < 1 || value > ConversationStore.MAX_READ_LIMIT) {
            throw new IllegalArgumentException("maxMessages must be 1 to " + ConversationStore.MAX_READ_LIMIT
                    + ", was " + value);
        }
        return value;
    }

    static int limit(String name, int bytes) {
        int least = name.equals("maxTextBytes") ? 1024 : 16 * 1024;
        if (bytes < least) {
            throw new IllegalArgumentException(name + " must be at least " + least + " bytes, was " + bytes);
        }
        return bytes;
    }
}
