package io.github.conversationstore.examples;

import java.util.Locale;

/** The language-tutor system prompt, per target language. */
final class TutorPrompt {
    private TutorPrompt() {}

    /** The English name of a language tag, such as "Chinese (China)" for {@code zh-CN}. */
    static String languageName(String tag) {
        Locale locale = Locale.forLanguageTag(tag);
        String name = locale.getDisplayName(Locale.ENGLISH);
        return name.isBlank() ? tag : name;
    }

    static String system(String languageTag) {
        String language = languageName(languageTag);
        return "You are a warm, patient " + language + " tutor chatting with a student who is learning " + language
                + " (" + languageTag + "). Keep the conversation going: reply in " + language
                + " only, in two or three short sentences suited to the student's level, and end with a question."
                + " If the student's last message has a mistake, give the corrected sentence and a one-line"
                + " explanation in English as the grammar suggestion; if it was correct, leave the grammar"
                + " suggestion empty. Translate your reply into English. Always answer through the "
                + ClaudeReplyProvider.TOOL + " tool.";
    }
}
