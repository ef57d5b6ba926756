package io.github.conversationstore;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Makes a window of messages safe to send to a model: no tool call without its result, no result
 * without its call.
 *
 * <p>Model APIs reject a conversation in which an assistant's tool call is not answered by the
 * messages that follow it, or a tool result answers a call they cannot see; one such conversation
 * makes every later request fail. A window cut from a longer conversation can start with tool
 * results whose call lies before it, and a turn that failed after its tool call was stored leaves
 * a call with no result. {@link #keepWhole(List)} leaves both out:
 *
 * <ul>
 *   <li>a tool call is kept when the {@link Role#TOOL} messages right after its assistant message
 *       (before any other message) answer it; otherwise it is left out;
 *   <li>a tool result is kept when it answers a kept call of the assistant message right before its
 *       run of tool messages (the first result for a call, if it was answered twice);
 *   <li>a message left with no content is left out: a tool message without results, an assistant
 *       message that held only tool calls and reasoning.
 * </ul>
 *
 * <p>Nothing is changed in the store: the dangling call stays stored (a later, resumed turn may
 * still answer it) and only windows leave it out. Thread-safe (stateless).
 *
 * @since 0.2.0
 */
public final class ToolPairs {
    private ToolPairs() {}

    /**
     * Returns the window without the tool calls and results that lack their counterpart, oldest
     * first, messages keeping their sequence numbers.
     *
     * @param window consecutive messages, oldest first, such as {@link ConversationStore#recentMessages}
     *     returns
     * @return the safe window, immutable; the same messages if every call is answered
     * @throws NullPointerException if {@code window} or an element is null
     */
    public static List<StoredMessage> keepWhole(List<StoredMessage> window) {
        List<StoredMessage> out = new ArrayList<>(window.size());
        int i = 0;
        while (i < window.size()) {
            StoredMessage current = window.get(i);
            int runEnd = i + 1;
            while (runEnd < window.size() && window.get(runEnd).role() == Role.TOOL) {
                runEnd++;
            }
            if (current.role() == Role.TOOL) {
                // a run of tool results whose assistant message is not in the window (or not right before it)
                i = runEnd;
                continue;
            }
            if (current.message().toolCalls().isEmpty()) {
                out.add(current);
                i++;
                continue;
            }
            Set<String> answered = new HashSet<>();
            for (int j = i + 1; j < runEnd; j++) {
                for (Part.ToolResult result : window.get(j).message().toolResults()) {
                    answered.add(result.callId());
                }
            }
            Set<String> called = new HashSet<>();
            addIfNotEmpty(out, current, part -> !(part instanceof Part.ToolCall)
                    || answered.contains(((Part.ToolCall) part).callId()) && called.add(((Part.ToolCall) part).callId()));
            Set<String> used = new HashSet<>();
            for (int j = i + 1; j < runEnd; j++) {
                addIfNotEmpty(out, window.get(j), part -> !(part instanceof Part.ToolResult)
                        || called.contains(((Part.ToolResult) part).callId()) && used.add(((Part.ToolResult) part).callId()));
            }
            i = runEnd;
        }
        return List.copyOf(out);
    }

    /** Adds the message with only the parts {@code keep} accepts, unless none of its content is left. */
    private static void addIfNotEmpty(List<StoredMessage> out, StoredMessage stored, Predicate<Part> keep) {
        Message message = stored.message();
        List<Part> kept = new ArrayList<>(message.parts().size());
        boolean content = false;
        for (Part part : message.parts()) {
            if (keep.test(part)) {
                kept.add(part);
                content |= !(part instanceof Part.Reasoning) && !(part instanceof Part.Unknown);
            }
        }
        if (!content) {
            return;
        }
        if (kept.size() == message.parts().size()) {
            out.add(stored);
        } else {
            out.add(new StoredMessage(stored.sequence(), new Message(message.id(), message.role(), kept,
                    message.timestamp(), message.attributes(), message.metadata())));
        }
    }
}
