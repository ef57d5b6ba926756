package io.github.conversationstore.examples;

import io.github.conversationstore.Part;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.StreamingReplyProvider;
import io.github.conversationstore.spi.Summarizer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deterministic tutor that needs no network: a few phrases per language, chosen by the length of
 * the conversation, and a grammar suggestion for the two slips every learner makes in writing (no
 * capital letter at the start where the script has capitals, no punctuation at the end: {@code 。}
 * in Chinese and Japanese). Asked to conjugate a verb ("conjuga ir"), it calls the
 * {@link ConjugationTool} when the turn offers it, and answers with the tool's result: a tool-using
 * turn without a network. Used when no API key is set.
 *
 * <p>It streams ({@link StreamingReplyProvider}): the reply's text comes word by word (character by
 * character in Chinese and Japanese, which put no spaces between words), each piece after a
 * configurable delay, so that a chat page shows it growing; {@link #reply} gives the same reply at
 * once. Thread-safe.
 */
public final class OfflineTutor implements StreamingReplyProvider {
    private final Duration wordDelay;

    /** A tutor that streams without delay. */
    public OfflineTutor() {
        this(Duration.ZERO);
    }

    /**
     * A tutor that waits this long before each word it streams.
     *
     * @param wordDelay zero or more
     * @throws IllegalArgumentException if {@code wordDelay} is negative
     * @since 0.3
     */
    public OfflineTutor(Duration wordDelay) {
        java.util.Objects.requireNonNull(wordDelay, "wordDelay");
        if (wordDelay.isNegative()) {
            throw new IllegalArgumentException("wordDelay must not be negative, was " + wordDelay);
        }
        this.wordDelay = wordDelay;
    }

    /**
     * Streams the reply {@link #reply} gives, word by word, waiting the word delay before each word.
     *
     * @param request the request
     * @param deltas receives the words, spaces included: joined, they are the reply's text
     * @return the reply
     * @throws ReplyProviderException (retryable) if the thread is interrupted while it waits
     * @since 0.3
     */
    @Override
    public Reply stream(ReplyRequest request, Consumer<String> deltas) {
        Reply reply = reply(request);
        for (String word : words(reply.text())) {
            if (!wordDelay.isZero()) {
                try {
                    Thread.sleep(wordDelay.toMillis(), wordDelay.toNanosPart() % 1_000_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ReplyProviderException("the offline tutor was interrupted while it streamed", true, e);
                }
            }
            deltas.accept(word);
        }
        return reply;
    }

    /**
     * The text in the pieces it streams in: a word with the spaces after it, or one character of a
     * script written without spaces (Han, Hiragana, Katakana) with its punctuation.
     */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            boolean endsWord = Character.isWhitespace(cp) || ideographic(cp);
            if (endsWord) {
                // the spaces or the punctuation that follow go with this piece
                while (i < text.length() && (Character.isWhitespace(text.codePointAt(i))
                        || (!Character.isWhitespace(cp) && isPunctuation(text.codePointAt(i))))) {
                    i += Character.charCount(text.codePointAt(i));
                }
                words.add(text.substring(start, i));
                start = i;
            }
        }
        if (start < text.length()) {
            words.add(text.substring(start));
        }
        return words;
    }

    private static boolean ideographic(int cp) {
        Character.UnicodeScript script = Character.UnicodeScript.of(cp);
        return script == Character.UnicodeScript.HAN || script == Character.UnicodeScript.HIRAGANA
                || script == Character.UnicodeScript.KATAKANA;
    }

    private static boolean isPunctuation(int cp) {
        int type = Character.getType(cp);
        return type == Character.OTHER_PUNCTUATION || type == Character.END_PUNCTUATION
                || type == Character.FINAL_QUOTE_PUNCTUATION;
    }
    private record Phrase(String text, String english) {}

    private static final Map<String, List<Phrase>> PHRASES = Map.of(
            "es", List.of(
                    new Phrase("¡Muy bien! ¿Qué hiciste hoy?", "Very good! What did you do today?"),
                    new Phrase("¡Qué interesante! ¿Y qué te gusta comer?", "How interesting! And what do you like to eat?"),
                    new Phrase("Entiendo. ¿Adónde quieres viajar este año?", "I see. Where do you want to travel this year?")),
            "fr", List.of(
                    new Phrase("Très bien ! Qu'as-tu fait aujourd'hui ?", "Very good! What did you do today?"),
                    new Phrase("Intéressant ! Et qu'aimes-tu manger ?", "Interesting! And what do you like to eat?"),
                    new Phrase("Je vois. Où veux-tu voyager cette année ?", "I see. Where do you want to travel this year?")),
            "de", List.of(
                    new Phrase("Sehr gut! Was hast du heute gemacht?", "Very good! What did you do today?"),
                    new Phrase("Interessant! Und was isst du gern?", "Interesting! And what do you like to eat?"),
                    new Phrase("Verstehe. Wohin möchtest du dieses Jahr reisen?", "I see. Where would you like to travel this year?")),
            "zh", List.of(
                    new Phrase("很好！你今天做了什么？", "Very good! What did you do today?"),
                    new Phrase("真有意思！你喜欢吃什么？", "How interesting! What do you like to eat?"),
                    new Phrase("明白了。你今年想去哪里旅行？", "I see. Where do you want to travel this year?")),
            "en", List.of(
                    new Phrase("Great! What did you do today?", "Great! What did you do today?"),
                    new Phrase("Interesting! What do you like to eat?", "Interesting! What do you like to eat?"),
                    new Phrase("I see. Where would you like to travel this year?", "I see. Where would you like to travel this year?")));

    @Override
    public String name() {
        return "offline";
    }

    /** "conjugate ir", "conjuga tener", "conjugar ser": the tutor looks the verb up with its tool. */
    private static final Pattern CONJUGATE = Pattern.compile("(?i)\\bconjuga(?:te|r)?\\s+(\\p{L}+)");

    @Override
    public Reply reply(ReplyRequest request) {
        if (Summarizer.MODE.equals(request.mode())) {
            return summary(request);
        }
        Matcher asked = CONJUGATE.matcher(request.userMessage().text());
        boolean hasTool = request.tools().stream().anyMatch(t -> t.name().equals(ConjugationTool.NAME));
        if (asked.find() && hasTool) {
            return conjugation(request, asked.group(1).toLowerCase(Locale.ROOT));
        }
        String language = request.language().split("-")[0].toLowerCase(Locale.ROOT);
        List<Phrase> phrases = PHRASES.getOrDefault(language, PHRASES.get("en"));
        Phrase phrase = phrases.get(request.window().size() / 2 % phrases.size());
        Reply reply = Reply.of(phrase.text()).withAttribute(TutorAttributes.TRANSLATION, phrase.english());
        String suggestion = suggestion(request.userMessage().text().strip());
        return suggestion == null ? reply : reply.withAttribute(TutorAttributes.GRAMMAR_SUGGESTION, suggestion);
    }

    /**
     * An extractive summary (compaction asks for one in {@link Summarizer#MODE}): the earlier
     * summary's text, how many messages the range holds, and the student's first and last lines.
     */
    private static Reply summary(ReplyRequest request) {
        List<String> student = new ArrayList<>();
        String earlier = "";
        int messages = 0;
        for (var m : request.window()) {
            if (m.role() == io.github.conversationstore.Role.SYSTEM) {
                earlier = (m.text().length() > 200 ? m.text().substring(0, 200) + "…" : m.text()) + " ";
            } else {
                messages++;
                if (m.role() == io.github.conversationstore.Role.USER) {
                    student.add(m.text());
                }
            }
        }
        String lines = student.isEmpty() ? "" : " The student wrote «" + student.get(0) + "»"
                + (student.size() > 1 ? " first and «" + student.get(student.size() - 1) + "» last." : ".");
        return Reply.of(earlier + "Then " + messages + " messages (" + student.size() + " by the student)." + lines)
                .withModel("offline-summarizer");
    }

    /**
     * A turn that uses the conjugation tool: first ask for it, then answer with what it returned
     * (the result is the last step of the turn).
     */
    private static Reply conjugation(ReplyRequest request, String verb) {
        List<Part.ToolResult> results = new ArrayList<>();
        request.steps().forEach(m -> results.addAll(m.message().toolResults()));
        if (results.isEmpty()) {
            return Reply.of(Part.text("Voy a buscar el verbo «" + verb + "»."),
                    new Part.ToolCall("conjugate-" + verb, ConjugationTool.NAME, "{\"verb\":\"" + verb + "\"}"));
        }
        Part.ToolResult result = results.get(results.size() - 1);
        if (result.error()) {
            return Reply.of("No tengo la conjugación de «" + verb + "». ¿Probamos con otro verbo?")
                    .withAttribute(TutorAttributes.TRANSLATION, "I don't have the conjugation of '" + verb + "'. Shall we try another verb?");
        }
        String forms;
        try {
            List<String> pairs = new ArrayList<>();
            com.fasterxml.jackson.databind.JsonNode present = JSON.readTree(result.content()).get("present");
            for (String person : ConjugationTool.PERSONS) {
                pairs.add(person + " " + present.get(person).asText());
            }
            forms = String.join(", ", pairs);
        } catch (IOException | RuntimeException e) {
            forms = result.content();
        }
        return Reply.of("Presente de «" + verb + "»: " + forms + ".")
                .withAttribute(TutorAttributes.TRANSLATION, "Present tense of '" + verb + "': " + forms + ".");
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * A corrected sentence when the text lacks a capital start or final punctuation, else null. The
     * rules follow the script: a capital letter only where the script has cases, and the full stop
     * of the sentence's script ({@code 。} in a sentence written in Chinese or Japanese).
     */
    static String suggestion(String text) {
        if (text.isEmpty()) {
            return null;
        }
        String fixed = text;
        int first = fixed.codePointAt(0);
        boolean capitalized = Character.isLowerCase(first);
        if (capitalized) {
            fixed = new String(Character.toChars(Character.toUpperCase(first))) + fixed.substring(Character.charCount(first));
        }
        int last = fixed.codePointBefore(fixed.length());
        boolean ended = Character.isLetterOrDigit(last);
        if (ended) {
            fixed = fixed + fullStop(text);
        }
        if (capitalized && ended) {
            return fixed + " (start with a capital letter and end with punctuation)";
        }
        if (capitalized) {
            return fixed + " (start with a capital letter)";
        }
        return ended ? fixed + " (end the sentence with " + fullStop(text) + ")" : null;
    }

    /** {@code 。} for a sentence with Chinese or Japanese characters in it, else {@code .}. */
    private static String fullStop(String text) {
        boolean ideographic = text.codePoints().mapToObj(Character.UnicodeScript::of).anyMatch(script ->
                script == Character.UnicodeScript.HAN || script == Character.UnicodeScript.HIRAGANA
                        || script == Character.UnicodeScript.KATAKANA);
        return ideographic ? "。" : ".";
    }
}
