package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The value types serialize with a plain Jackson {@link ObjectMapper}: no module, no adapter. */
@SuppressWarnings("deprecation") // the tutor attributes, deprecated in 0.3, keep working
class JacksonRoundTripTest {
    private final ObjectMapper mapper = new ObjectMapper();
    private final Instant time = Instant.parse("2026-11-28T10:15:30.123Z");

    @Test
    void message_roundTripsWithIsoTimestampAndLowerCaseRole() throws Exception {
        Message message = new Message("m1", Role.ASSISTANT, "¡Hola!", time,
                Map.of(Message.TRANSLATION, "Hello!", Message.GRAMMAR_SUGGESTION, "ok"));

        String json = mapper.writeValueAsString(message);
        JsonNode tree = mapper.readTree(json);

        assertThat(tree.get("role").asText()).isEqualTo("assistant");
        assertThat(tree.get("timestamp").asText()).isEqualTo("2026-11-28T10:15:30.123Z");
        assertThat(tree.get("attributes").get("translation").asText()).isEqualTo("Hello!");
        assertThat(tree.fieldNames()).toIterable().containsExactly("id", "role", "text", "timestamp", "attributes");
        assertThat(mapper.readValue(json, Message.class)).isEqualTo(message);
    }

    @Test
    void message_withoutAttributes_omitsThemAndReadsBack() throws Exception {
        Message message = new Message("m1", Role.USER, "hi", time, Map.of());

        String json = mapper.writeValueAsString(message);

        assertThat(mapper.readTree(json).has("attributes")).isFalse();
        assertThat(mapper.readValue(json, Message.class)).isEqualTo(message);
        assertThat(mapper.readValue("{\"id\":\"x\",\"role\":\"bot\",\"text\":\"t\",\"timestamp\":\"2026-01-01T00:00:00Z\"}",
                Message.class).role()).isEqualTo(Role.ASSISTANT);
    }

    @Test
    void storedMessages_roundTrip() throws Exception {
        List<StoredMessage> stored = List.of(new StoredMessage(0, new Message("a", Role.USER, "q", time, Map.of())),
                new StoredMessage(1, new Message("b", Role.SYSTEM, "s", time, Map.of("k", "v"))));

        String json = mapper.writeValueAsString(stored);

        assertThat(mapper.readValue(json, new TypeReference<List<StoredMessage>>() {})).isEqualTo(stored);
        assertThat(mapper.readTree(json).get(1).get("sequence").asLong()).isEqualTo(1);
    }

    @Test
    void header_roundTrips() throws Exception {
        ConversationHeader header = new ConversationHeader("s1", "zh-CN", time, time.plusSeconds(5), 42, Map.of("level", "A2"));

        String json = mapper.writeValueAsString(header);

        assertThat(mapper.readTree(json).get("updatedAt").asText()).isEqualTo("2026-11-28T10:15:35.123Z");
        assertThat(mapper.readValue(json, ConversationHeader.class)).isEqualTo(header);
    }

    @Test
    void appendResult_roundTripsWithoutDerivedFields() throws Exception {
        AppendResult result = new AppendResult("turn-1", 4, 2, false, true);

        String json = mapper.writeValueAsString(result);

        assertThat(mapper.readTree(json).has("lastSequence")).isFalse();
        assertThat(mapper.readValue(json, AppendResult.class)).isEqualTo(result);
    }

    @Test
    void message_withEveryPartTypeAndMetadata_roundTripsWithPartsAsTypedObjects() throws Exception {
        Message assistant = new Message("a1", Role.ASSISTANT, List.of(Part.Reasoning.of("hmm", "sig=="), Part.text("Let me check."),
                new Part.ToolCall("c1", "conjugate", "{\"verb\":\"ir\"}"),
                new Part.Unknown("citation_v9", Map.of("url", "https://example.com", "spans", List.of(1, 2)))),
                time, Map.of(), Map.of("model", "claude", "usage", Map.of("inputTokens", 10, "outputTokens", 3),
                        "ratio", 0.5, "flags", List.of(true, false)));
        Message tool = Message.tool(Part.ToolResult.json("c1", "conjugate", "{\"yo\":\"voy\"}"), Part.ToolResult.error("c2", "x", "boom"));
        Message user = new Message("u1", Role.USER, List.of(Part.text("see"), Part.Media.inline("image/png", new byte[] {1, 2, 3}),
                Part.Media.of("image/jpeg", java.net.URI.create("https://example.com/a.jpg"))), time, Map.of(), Map.of());

        for (Message message : List.of(assistant, tool, user)) {
            String json = mapper.writeValueAsString(message);
            assertThat(mapper.readValue(json, Message.class)).as(json).isEqualTo(message);
        }
        JsonNode tree = mapper.readTree(mapper.writeValueAsString(assistant));
        assertThat(tree.get("parts").get(2).get("type").asText()).isEqualTo("tool_call");
        assertThat(tree.get("parts").get(3).get("spans").get(1).asInt()).isEqualTo(2);
        assertThat(tree.get("metadata").get("usage").get("inputTokens").asInt()).isEqualTo(10);
        assertThat(tree.get("text").asText()).isEqualTo("Let me check.");
        assertThat(mapper.readTree(mapper.writeValueAsString(user)).get("parts").get(1).get("data").asText()).isEqualTo("AQID");
        assertThat(mapper.readValue(mapper.writeValueAsString(tool), Message.class).role()).isEqualTo(Role.TOOL);
    }

    @Test
    void part_aloneRoundTripsAndUnknownTypesStayUnknown() throws Exception {
        Part call = new Part.ToolCall("c1", "t", "{}");

        assertThat(mapper.readValue(mapper.writeValueAsString(call), Part.class)).isEqualTo(call);
        assertThat(mapper.readValue("{\"type\":\"hologram\",\"depth\":3}", Part.class))
                .isEqualTo(new Part.Unknown("hologram", Map.of("depth", 3)));
    }

    @Test
    void toolTypesRepliesAndTurnResults_roundTrip() throws Exception {
        io.github.conversationstore.spi.ToolSpec spec = new io.github.conversationstore.spi.ToolSpec("conjugate", "Conjugates.",
                "{\"type\":\"object\"}");
        io.github.conversationstore.spi.ToolOutput output = io.github.conversationstore.spi.ToolOutput.json("{\"yo\":\"voy\"}");
        io.github.conversationstore.spi.ToolInvocation invocation = new io.github.conversationstore.spi.ToolInvocation(
                "s1", "t1", 1, "c1", "conjugate", "{}", 2);
        io.github.conversationstore.spi.Reply reply = io.github.conversationstore.spi.Reply.of(Part.text("Checking."),
                new Part.ToolCall("c1", "conjugate", "{}")).withModel("m").withUsage(new io.github.conversationstore.spi.TokenUsage(3, 4));
        StoredMessage user = new StoredMessage(0, new Message("u", Role.USER, "hi", time, Map.of()));
        StoredMessage step = new StoredMessage(1, new Message("a", Role.ASSISTANT, List.of(new Part.ToolCall("c1", "t", "{}")),
                time, Map.of(), Map.of()));
        TurnResult turn = new TurnResult("t1", user, new StoredMessage(3, new Message("r", Role.ASSISTANT, "ok", time, Map.of())),
                false, new io.github.conversationstore.spi.TokenUsage(1, 2), List.of(step));

        assertThat(mapper.readValue(mapper.writeValueAsString(spec), io.github.conversationstore.spi.ToolSpec.class)).isEqualTo(spec);
        assertThat(mapper.readValue(mapper.writeValueAsString(output), io.github.conversationstore.spi.ToolOutput.class)).isEqualTo(output);
        assertThat(mapper.readValue(mapper.writeValueAsString(invocation), io.github.conversationstore.spi.ToolInvocation.class))
                .isEqualTo(invocation);
        assertThat(mapper.readValue(mapper.writeValueAsString(reply), io.github.conversationstore.spi.Reply.class)).isEqualTo(reply);
        assertThat(mapper.readValue(mapper.writeValueAsString(turn), TurnResult.class)).isEqualTo(turn);
    }
}
