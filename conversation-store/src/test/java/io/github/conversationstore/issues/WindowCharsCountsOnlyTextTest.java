package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolInvocation;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 20, item 1: {@code windowChars} counted only text parts. With {@code windowChars(2000)} and
 * earlier turns whose tool results are 60,000 characters each, the provider got 360,234 characters
 * of tool results and arguments. Every part counts now, and a message larger than the budget on its
 * own ends the window (it and everything older are left out), so no window exceeds its budget.
 */
class WindowCharsCountsOnlyTextTest {
    private static final int BUDGET = 2000;

    static java.util.stream.Stream<Named<Supplier<ConversationStore>>> stores() {
        return BothStores.both();
    }

    /** Every character of every part the model is sent. */
    static long chars(List<Message> window) {
        long n = 0;
        for (Message m : window) {
            for (Part p : m.parts()) {
                if (p instanceof Part.Text t) {
                    n += t.text().length();
                } else if (p instanceof Part.ToolCall c) {
                    n += c.arguments().length();
                } else if (p instanceof Part.ToolResult r) {
                    n += r.content().length();
                } else if (p instanceof Part.Reasoning r) {
                    n += r.text().length();
                } else if (p instanceof Part.Media media) {
                    n += media.uri() == null ? media.data().length : media.uri().toString().length();
                }
            }
        }
        return n;
    }

    @ParameterizedTest
    @MethodSource("stores")
    void respond_earlierToolResultsFarOverTheBudget_everyWindowWithinIt(Supplier<ConversationStore> factory) {
        String big = "{\"rows\":\"" + "x".repeat(60_000) + "\"}";
        Tool fetch = Tool.of(new ToolSpec("fetch", "Fetches rows.", "{\"type\":\"object\"}"), invocation -> {
            return ToolOutput.json(big);
        });
        List<ReplyRequest> requests = new CopyOnWriteArrayList<>();
        ReplyProvider model = request -> {
            requests.add(request);
            if (request.steps().isEmpty() && request.userMessage().text().startsWith("fetch")) {
                return new Reply(List.of(Part.Reasoning.of("r".repeat(3000), "sig"),
                        new Part.ToolCall("c1", "fetch", "{\"q\":\"" + "a".repeat(2500) + "\"}")),
                        Map.of(), TokenUsage.UNKNOWN, Map.of());
            }
            return Reply.of("ok " + request.userMessage().text());
        };
        try (ConversationStore store = factory.get()) {
            store.appendMessages("s", "en", List.of(new Message("m1", Role.USER,
                    List.of(Part.text("a picture"), Part.Media.of("image/png", URI.create("https://example.com/"
                            + "p".repeat(2500) + ".png"))), java.time.Instant.now(), Map.of(), Map.of())));
            try (TurnService turns = TurnService.builder(store).provider(model).tools(fetch).windowChars(BUDGET).build()) {
                turns.respond("s", "en", "fetch one", "t1");
                turns.respond("s", "en", "fetch two", "t2");
                turns.respond("s", "en", "short question", "t3");
                turns.respond("s", "en", "another", "t4");
            }
        }
        assertThat(requests).hasSize(6);
        assertThat(requests).allSatisfy(r -> assertThat(chars(r.window().stream().map(StoredMessage::message).toList()))
                .as("characters of the window given with turn %s", r.turnId()).isLessThanOrEqualTo(BUDGET));
        // what fits is still given: the last turn sees the short turn before it
        assertThat(requests.get(5).window()).extracting(StoredMessage::text).contains("short question", "ok short question");
    }
}
