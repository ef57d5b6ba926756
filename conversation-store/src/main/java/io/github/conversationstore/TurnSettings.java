package io.github.conversationstore;

import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What a {@link TurnService.Builder} decided, immutable: the service and each turn it runs read it.
 *
 * @param tools the tools by name, in the order they were offered
 * @param toolSpecs the tools' specs, in that order
 * @param hook test seam called after each step of a turn
 * @param compaction the compaction policy, or null for none
 * @param draftInterval the shortest time between two draft writes of a streamed reply
 * @param draftBytes the new text after which a draft is written sooner
 * @param deltaGapTimeout the longest pause of a stream, or null for none but the reply timeout
 * @param busyPolicy what a turn does when its session is busy
 * @param queueTimeout how long a queued or interrupting turn waits for its session
 */
record TurnSettings(
        ConversationStore store,
        ReplyProvider provider,
        Duration replyTimeout,
        int maxProviderAttempts,
        Duration retryBackoff,
        int windowMessages,
        int windowChars,
        Duration leaseDuration,
        Duration busyTimeout,
        String mode,
        Clock clock,
        Map<String, Tool> tools,
        List<ToolSpec> toolSpecs,
        Duration toolTimeout,
        int maxToolAttempts,
        int maxSteps,
        Consumer<String> hook,
        Observers observers,
        Compaction compaction,
        Duration draftInterval,
        int draftBytes,
        Duration deltaGapTimeout,
        BusyPolicy busyPolicy,
        Duration queueTimeout) {

    TurnSettings {
        tools = Map.copyOf(tools);
        toolSpecs = List.copyOf(toolSpecs);
    }
}
