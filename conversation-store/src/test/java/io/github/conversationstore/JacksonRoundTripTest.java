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
}
