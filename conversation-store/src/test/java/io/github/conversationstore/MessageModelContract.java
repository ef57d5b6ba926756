package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The message model every store keeps: every part type, every metadata value type, unknown parts,
 * and windows that never split a tool call from its result. Mixed into the contract suite, so it
 * runs on the in-memory store, the embedded server and tiny heads (moves in the middle of tool
 * exchanges), and on real servers when present.
 */
interface MessageModelContract {

    /** The store under test, fresh for each test. */
    ConversationStore store();

    Instant TIME = Instant.parse("2026-11-29T10:00:00.123Z");

    static Message message(String id, Role role, Part... parts) {
        return new Message(id, role, List.of(parts), TIME, Map.of(), Map.of());
    }

    /** An assistant asking for tools, then the tools' answers: one exchange of {@code calls} calls. */
    static List<Message> toolExchange(String prefix, int calls) {
        List<Part> callParts = new ArrayList<>();
        List<Message> out = new ArrayList<>();
        callParts.add(Part.text("Let me look that up."));
        for (int i = 0; i < calls; i++) {
            callParts.add(new Part.ToolCall(prefix + "-c" + i, "conjugate", "{\"verb\":\"ir\",\"n\":" + i + "}"));
        }
        out.add(new Message(prefix + "-call", Role.ASSISTANT, callParts, TIME, Map.of(), Map.of()));
        for (int i = 0; i < calls; i++) {
            out.add(message(prefix + "-result" + i, Role.TOOL, Part.ToolResult.json(prefix + "-c" + i, "conjugate", "{\"yo\":\"voy\"}")));
        }
        return out;
    }

    @Test
    default void appendMessages_everyPartType_readsBackEqual() {
        byte[] png = new byte[Part.Media.MAX_INLINE_BYTES];
        Arrays.fill(png, (byte) 7);
        List<Message> messages = List.of(
                message("u", Role.USER, Part.text("What is "), Part.text("this?"),
                        Part.Media.of("image/png", URI.create("https://example.com/verb.png")),
                        new Part.Media("image/png", null, png, "verb-table"),
                        new Part.Media("application/pdf", URI.create("s3://bucket/doc.pdf"), null, "")),
                message("a", Role.ASSISTANT, Part.Reasoning.of("The user wants a conjugation.", "c2lnbmF0dXJl+/=="),
                        new Part.Reasoning("", "opaque-redacted-data", true),
                        Part.text("Checking."),
                        new Part.ToolCall("call-1", "conjugate", "{\"verb\": \"ir\", \"$ref\": {\"a.b\": 1}}"),
                        new Part.ToolCall("call-2", "lookup", "not json at all")),
                message("t", Role.TOOL, Part.ToolResult.json("call-1", "conjugate", "{\"yo\":\"voy\"}"),
                        Part.ToolResult.error("call-2", "lookup", "malformed arguments"),
                        Part.ToolResult.text("call-3", "", "plain")));

        store().appendMessages("s1", "es", messages);

        assertThat(store().readMessages("s1", 0, 10)).extracting(StoredMessage::message).containsExactlyElementsOf(messages);
        assertThat(store().recentMessages("s1", 3).get(0).text()).isEqualTo("What is this?");
        assertThat(store().recentMessages("s1", 3).get(1).message().toolCalls()).extracting(Part.ToolCall::callId)
                .containsExactly("call-1", "call-2");
        assertThat(((Part.Media) store().recentMessages("s1", 3).get(0).message().parts().get(3)).data()).isEqualTo(png);
    }

    @Test
    default void appendMessages_everyMetadataValueType_readsBackNormalized() {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("string", "gpt");
        metadata.put("smallLong", 42L);
        metadata.put("int", 7);
        metadata.put("bigLong", 1L << 40);
        metadata.put("double", 0.25);
        metadata.put("float", 1.5f);
        metadata.put("decimal", new BigDecimal("12345678901234567890.123"));
        metadata.put("bool", true);
        metadata.put("nothing", null);
        metadata.put("list", List.of(1, "two", List.of(3.5), Map.of("k", false)));
        metadata.put("map", Map.of("inputTokens", 12, "nested", Map.of("deep", List.of())));
        Message written = message("m", Role.ASSISTANT, Part.text("hi")).withMetadata(metadata);

        store().appendMessages("s1", "en", List.of(written));

        Message read = store().recentMessages("s1", 1).get(0).message();
        assertThat(read).isEqualTo(written);
        assertThat(read.metadata().get("smallLong")).isEqualTo(42);
        assertThat(read.metadata().get("bigLong")).isEqualTo(1L << 40);
        assertThat(read.metadata().get("float")).isEqualTo(1.5d);
        assertThat(read.metadata().get("decimal")).isEqualTo(new BigDecimal("12345678901234567890.123"));
        assertThat(read.metadata()).containsEntry("nothing", null);
        assertThat(read.metadata().keySet()).containsExactlyElementsOf(metadata.keySet());
    }

    @Test
    default void appendMessages_partOfAnUnknownType_readsBackAndIsWrittenAgainUnchanged() {
        Part future = new Part.Unknown("citation_v9", Map.of("url", "https://example.com", "score", 0.9,
                "spans", List.of(Map.of("from", 1, "to", 4))));
        Message message = message("m", Role.ASSISTANT, Part.text("See the source."), future);

        store().appendMessages("s1", "en", List.of(message));
        Message read = store().recentMessages("s1", 1).get(0).message();
        store().appendMessages("s2", "en", List.of(read));

        assertThat(read).isEqualTo(message);
        assertThat(store().recentMessages("s2", 1).get(0).message()).isEqualTo(message);
        assertThat(read.text()).isEqualTo("See the source.");
    }

    @Test
    default void appendMessages_sameAppendIdWithOtherParts_conflictsAndWithSamePartsIsDuplicate() {
        List<Message> exchange = toolExchange("x", 1);
        store().appendMessages(AppendRequest.builder("s1", "en").appendId("k").messages(exchange).build());

        AppendResult again = store().appendMessages(AppendRequest.builder("s1", "en").appendId("k")
                .messages(toolExchange("x", 1)).build());
        List<Message> otherArguments = List.of(message("x-call", Role.ASSISTANT, Part.text("Let me look that up."),
                new Part.ToolCall("x-c0", "conjugate", "{\"verb\":\"ser\",\"n\":0}")), exchange.get(1));

        assertThat(again.duplicate()).isTrue();
        assertThatThrownBy(() -> store().appendMessages(AppendRequest.builder("s1", "en").appendId("k")
                .messages(otherArguments).build())).isInstanceOf(AppendConflictException.class);
        assertThatThrownBy(() -> store().appendMessages(AppendRequest.builder("s1", "en").appendId("k")
                .messages(exchange.get(0).withMetadata("model", "other"), exchange.get(1)).build()))
                .isInstanceOf(AppendConflictException.class);
        assertThat(store().readMessages("s1", 0, 10)).extracting(StoredMessage::message).containsExactlyElementsOf(exchange);
    }

    @Test
    default void promptWindow_cutThroughToolExchanges_neverSplitsACallFromItsResult() {
        List<Message> all = new ArrayList<>();
        for (int round = 0; round < 8; round++) {
            Message question = message("q" + round, Role.USER, Part.text("question " + round));
            List<Message> exchange = toolExchange("r" + round, 1 + round % 3);
            Message answer = message("a" + round, Role.ASSISTANT, Part.text("answer " + round));
            // the call and its results in separate appends, so that heads move between them
            store().appendMessages("s1", "es", List.of(question));
            store().appendMessages("s1", "es", exchange.subList(0, 1));
            store().appendMessages("s1", "es", exchange.subList(1, exchange.size()));
            store().appendMessages("s1", "es", List.of(answer));
            all.add(question);
            all.addAll(exchange);
            all.add(answer);
        }
        ConversationStore fresh = store();

        assertThat(fresh.readMessages("s1", 0, 1000)).extracting(StoredMessage::message).containsExactlyElementsOf(all);
        for (int limit = 1; limit <= all.size(); limit++) {
            List<StoredMessage> window = fresh.promptWindow("s1", limit);
            assertToolPairsWhole(window);
            List<StoredMessage> recent = fresh.recentMessages("s1", limit);
            // nothing else is left out: every message without tool parts is kept
            assertThat(window).containsAll(recent.stream().filter(m -> m.message().toolCalls().isEmpty()
                    && m.role() != Role.TOOL).toList());
        }
        assertThat(fresh.promptWindow("s1", all.size())).extracting(StoredMessage::message).containsExactlyElementsOf(all);
    }

    @Test
    default void promptWindow_afterATurnThatStoredACallButNoResult_leavesTheDanglingCallOut() {
        store().appendMessages("s1", "es", List.of(message("q", Role.USER, Part.text("conjugate ir"))));
        store().appendMessages("s1", "es", List.of(message("c", Role.ASSISTANT, Part.Reasoning.of("thinking", "sig"),
                new Part.ToolCall("c1", "conjugate", "{}"))));
        store().appendMessages("s1", "es", List.of(message("q2", Role.USER, Part.text("never mind"))));
        store().appendMessages("s1", "es", List.of(message("c2", Role.ASSISTANT, Part.text("Sure, and:"),
                new Part.ToolCall("c2", "conjugate", "{}"))));

        List<StoredMessage> window = store().promptWindow("s1", 10);

        assertThat(window).extracting(StoredMessage::sequence).containsExactly(0L, 2L, 3L);
        assertThat(window.get(2).message().parts()).containsExactly(Part.text("Sure, and:"));
        assertThat(store().readMessages("s1", 0, 10)).hasSize(4);
        assertToolPairsWhole(window);
    }

    @Test
    default void appendMessages_messageLargerThanTheStoreAllows_refusedNamingItAndNothingStored() {
        byte[] chunk = new byte[60_000];
        Part[] media = new Part[5];
        for (int i = 0; i < media.length; i++) {
            media[i] = Part.Media.inline("image/png", chunk);
        }
        Message tooLarge = Message.of(Role.USER, media);

        assertThatThrownBy(() -> store().appendMessages("s1", "en", List.of(Message.user("ok"), tooLarge)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("messages[1]")
                .hasMessageContaining("262144 bytes as stored");
        assertThatThrownBy(() -> store().appendMessages("s1", "en", List.of(Message.user("ok")
                .withMetadata("big", "x".repeat(300_000))))).hasMessageContaining("messages[0]");
        assertThat(store().findConversation("s1")).isEmpty();
    }

    /** Checks the window rule: every call answered by the tool messages right after it, every result by such a call. */
    static void assertToolPairsWhole(List<StoredMessage> window) {
        for (int i = 0; i < window.size(); i++) {
            Message m = window.get(i).message();
            if (m.role() == Role.TOOL) {
                int a = i;
                while (a >= 0 && window.get(a).role() == Role.TOOL) {
                    a--;
                }
                assertThat(a).as("tool message at %d has its assistant message in the window", i).isGreaterThanOrEqualTo(0);
                Set<String> calls = new HashSet<>();
                window.get(a).message().toolCalls().forEach(c -> calls.add(c.callId()));
                m.toolResults().forEach(r -> assertThat(calls).as("result %s has its call", r.callId()).contains(r.callId()));
            }
            if (!m.toolCalls().isEmpty()) {
                Set<String> answered = new HashSet<>();
                for (int j = i + 1; j < window.size() && window.get(j).role() == Role.TOOL; j++) {
                    window.get(j).message().toolResults().forEach(r -> answered.add(r.callId()));
                }
                m.toolCalls().forEach(c -> assertThat(answered).as("call %s is answered", c.callId()).contains(c.callId()));
            }
        }
    }
}
