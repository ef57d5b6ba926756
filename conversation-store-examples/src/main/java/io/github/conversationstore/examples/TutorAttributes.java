package io.github.conversationstore.examples;

/** The tutor's own attributes of an assistant message: the library stores them like any other. */
public final class TutorAttributes {
    /** The grammar suggestion for the user's message. */
    public static final String GRAMMAR_SUGGESTION = "grammarSuggestion";
    /** A translation of the reply text into English. */
    public static final String TRANSLATION = "translation";

    private TutorAttributes() {}
}
