package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Checks of a stored conversation written by the scripted AI service (see {@link Scripted}). */
final class Conversations {
    private Conversations() {}

    /** Every stored message, oldest first. */
    static List<StoredMessage> all(ConversationStore store, String session) {
        List<StoredMessage> out = new ArrayList<>();
        for (long from = 0; ; ) {
            List<StoredMessage> page = store.readMessages(session, from, ConversationStore.MAX_READ_LIMIT);
            out.addAll(page);
            if (page.size() < ConversationStore.MAX_READ_LIMIT) {
                return out;
            }
            from = page.get(page.size() - 1).sequence() + 1;
        }
    }

    /** What is wrong with the turns of a conversation, counted. */
    record Report(int turns, int lost, int doubled, int splitPairs, int systemMessages, int otherMessages) {}

    /**
     * Checks a conversation of turns of the scripted service: for every expected city, one user
     * message, one tool call answered by the tool message right after it, and one final answer.
     */
    static Report check(List<StoredMessage> stored, List<String> cities) {
        Map<String, Integer> users = new HashMap<>();
        Map<String, Integer> calls = new HashMap<>();
        Map<String, Integer> answers = new HashMap<>();
        int split = 0;
        int system = 0;
        int other = 0;
        for (int i = 0; i < stored.size(); i++) {
            StoredMessage m = stored.get(i);
            if (m.role() == Role.SYSTEM) {
                system++;
            } else if (m.role() == Role.USER) {
                users.merge(m.text(), 1, Integer::sum);
            } else if (m.role() == Role.ASSISTANT && !m.message().toolCalls().isEmpty()) {
                Part.ToolCall call = m.message().toolCalls().get(0);
                String city = call.arguments().replaceAll(".*\"city\":\"([^\"]*)\".*", "$1");
                calls.merge(city, 1, Integer::sum);
                boolean answered = i + 1 < stored.size() && stored.get(i + 1).role() == Role.TOOL
                        && stored.get(i + 1).message().toolResults().get(0).callId().equals(call.callId())
                        && stored.get(i + 1).message().toolResults().get(0).content().equals("sunny in " + city);
                split += answered ? 0 : 1;
            } else if (m.role() == Role.ASSISTANT && m.text().startsWith("The weather: sunny in ")) {
                answers.merge(m.text().substring("The weather: sunny in ".length()), 1, Integer::sum);
            } else if (m.role() != Role.TOOL) {
                other++;
            }
        }
        int lost = 0;
        int doubled = 0;
        for (String city : cities) {
            for (Map<String, Integer> counts : List.of(users, calls, answers)) {
                int n = counts.getOrDefault(city, 0);
                lost += n == 0 ? 1 : 0;
                doubled += Math.max(0, n - 1);
            }
        }
        long tools = stored.stream().filter(m -> m.role() == Role.TOOL).count();
        doubled += (int) Math.max(0, tools - calls.values().stream().mapToInt(Integer::intValue).sum());
        return new Report(cities.size(), lost, doubled, split, system, other);
    }

    static void assertWhole(List<StoredMessage> stored, List<String> cities) {
        Report report = check(stored, cities);
        assertThat(report).isEqualTo(new Report(cities.size(), 0, 0, 0, 1, 0));
        assertThat(stored).hasSize(1 + 4 * cities.size());
    }
}
