package io.github.conversationstore;

/**
 * The append ids of a turn's messages, built and recognized in one place: {@code turnId + ":user"}
 * for the user's message, {@code turnId + ":s" + step} for an assistant step that asks for tools,
 * {@code turnId + ":s" + step + ":r" + index} for the result of its call at {@code index}, and
 * {@code turnId + ":reply"} for the final reply. Steps count from 1, indexes from 0, both in
 * decimal without leading zeros.
 */
final class StepIds {
    private static final String USER = "user";
    private static final String REPLY = "reply";

    private StepIds() {}

    static String user(String turnId) {
        return turnId + ":" + USER;
    }

    static String reply(String turnId) {
        return turnId + ":" + REPLY;
    }

    static String calls(String turnId, int step) {
        return turnId + ":s" + step;
    }

    static String result(String turnId, int step, int index) {
        return calls(turnId, step) + ":r" + index;
    }

    /**
     * Whether {@code id} is exactly one of the forms above for this turn: turn {@code "a"} does not
     * take turn {@code "a:x"}'s messages for its own.
     */
    static boolean isOfTurn(String turnId, String id) {
        if (id.length() <= turnId.length() + 1 || !id.startsWith(turnId) || id.charAt(turnId.length()) != ':') {
            return false;
        }
        String rest = id.substring(turnId.length() + 1);
        if (rest.equals(USER) || rest.equals(REPLY)) {
            return true;
        }
        if (rest.isEmpty() || rest.charAt(0) != 's') {
            return false;
        }
        int end = digits(rest, 1);
        if (end == 1) {
            return false;
        }
        if (end == rest.length()) {
            return true;
        }
        if (!rest.startsWith(":r", end)) {
            return false;
        }
        int resultEnd = digits(rest, end + 2);
        return resultEnd > end + 2 && resultEnd == rest.length();
    }

    /** The end of the run of ASCII digits starting at {@code from}. */
    private static int digits(String s, int from) {
        int i = from;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        return i;
    }
}
