package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Adversarial review of the message model (public API only). */
class MessageModelEdgeValuesTest {
    static Stream<Named<Supplier<ConversationStore>>> stores() {
        return BothStores.both();
    }

    private static Message message(Part... parts) {
        return new Message("m1", Role.ASSISTANT, List.of(parts), Instant.parse("2024-05-01T10:00:00Z"), Map.of(), Map.of());
    }

    private static AppendRequest request(Message m) {
        return AppendRequest.builder("s", "en").appendId("ap1").messages(m).build();
    }

    /**
     * A text cut in the middle of a surrogate pair (a streamed or truncated model output ending in
     * half an emoji) is a valid Java String and passes validation. In MongoDB it does not read back
     * equal, and retrying the very same append (same id, same content) is refused as a conflict.
     */
    @ParameterizedTest
    @MethodSource("stores")
    void loneSurrogateTextReadsBackEqual(Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            Message written = message(Part.text("truncated emoji \uD83D"));
            store.appendMessages(request(written));

            String read = store.readMessages("s", 0, 10).get(0).message().text();
            assertThat(read.codePoints().toArray()).as("code points read back")
                    .containsExactly(written.text().codePoints().toArray());
        }
    }

    /** The exact retry of that append (same id, same content) must be a duplicate, not a conflict. */
    @ParameterizedTest
    @MethodSource("stores")
    void loneSurrogateTextExactRetryIsADuplicate(Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            Message written = message(Part.text("truncated emoji \uD83D"));
            store.appendMessages(request(written));

            AppendResult[] retry = new AppendResult[1];
            assertThatCode(() -> retry[0] = store.appendMessages(request(written))).doesNotThrowAnyException();
            assertThat(retry[0].duplicate()).isTrue();
        }
    }

    /** Same with a lone surrogate in a metadata key and value. */
    @ParameterizedTest
    @MethodSource("stores")
    void loneSurrogateMetadataReadsBackEqual(Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            // a value is made well-formed (U+FFFD, as MongoDB would store it); a key is refused
            Message written = message(Part.text("hi")).withMetadata("k", "v\uD800");
            store.appendMessages(request(written));
            assertThat(store.readMessages("s", 0, 10).get(0).message()).isEqualTo(written);
            assertThat(written.metadata()).containsEntry("k", "v\uFFFD");
            assertThatThrownBy(() -> message(Part.text("hi")).withMetadata("k\uDC00", "v"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("metadata key").hasMessageContaining("surrogate");
        }
    }

    /**
     * Metadata accepted any BigInteger/BigDecimal (a BigInteger beyond long becomes a BigDecimal),
     * but MongoDB stores them as Decimal128 (34 digits, exponent -6176..6111): the MongoDB store
     * failed the append with a raw NumberFormatException after validation said the message was
     * fine. Now a number Decimal128 cannot hold is refused when the message is built, naming it,
     * and every number metadata accepts is stored by both stores.
     */
    @ParameterizedTest
    @MethodSource("stores")
    void everyNumberMetadataAcceptsIsStored(Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            assertThatThrownBy(() -> message(Part.text("hi")).withMetadata("id", BigInteger.ONE.shiftLeft(200).add(BigInteger.ONE)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("metadata.id").hasMessageContaining("Decimal128");
            assertThatThrownBy(() -> message(Part.text("hi"))
                    .withMetadata("precise", new BigDecimal("3.14159265358979323846264338327950288419")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("metadata.precise");
            Message written = message(Part.text("hi"))
                    .withMetadata("id", BigInteger.ONE.shiftLeft(100))
                    .withMetadata("precise", new BigDecimal("3.141592653589793238462643383279502"));
            assertThatCode(() -> store.appendMessages(request(written))).doesNotThrowAnyException();
            assertThat(store.readMessages("s", 0, 10).get(0).message()).isEqualTo(written);
        }
    }

    /**
     * Unknown parts are "written again unchanged", but their fields are not normalized like
     * metadata: a Float (or Instant, byte[], ...) field reads back as another type, so the part is
     * not equal after a read and an exact retry of its append is refused as a conflict.
     */
    @ParameterizedTest
    @MethodSource("stores")
    void unknownPartFieldsReadBackEqualAndRetryIsADuplicate(Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            Message written = message(Part.text("see"), new Part.Unknown("citation_v9", Map.of("score", 0.5f)));
            store.appendMessages(request(written));
            assertThat(store.readMessages("s", 0, 10).get(0).message()).isEqualTo(written);
            assertThat(store.appendMessages(request(written)).duplicate()).isTrue();
        }
    }

    /**
     * Unknown part field names are not checked at all (metadata keys are): a NUL in a field name is
     * accepted by the in-memory store and by validation, but cannot be written as BSON.
     */
    @ParameterizedTest
    @MethodSource("stores")
    void unknownPartFieldNamesFollowOneRule(Supplier<ConversationStore> factory) {
        try (ConversationStore store = factory.get()) {
            Message written;
            try {
                written = message(Part.text("see"), new Part.Unknown("citation_v9", Map.of("a\0b", 1)));
            } catch (IllegalArgumentException rejectedUpFront) {
                return; // fine: refused by validation, as metadata keys are
            }
            assertThatCode(() -> store.appendMessages(request(written))).doesNotThrowAnyException();
            assertThat(store.readMessages("s", 0, 10).get(0).message()).isEqualTo(written);
        }
    }

    /** Jackson (plain ObjectMapper) loses BigDecimal metadata: it reads back as Double. */
    @Test
    void jacksonRoundTripKeepsBigDecimalMetadata() throws Exception {
        // JSON has one kind of number: a plain mapper reads 0.10 as a Double (documented on Message);
        // a mapper told to read decimals as BigDecimal gives back what was written
        ObjectMapper mapper = new ObjectMapper()
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        Message written = message(Part.text("hi")).withMetadata("price", new BigDecimal("0.10"));
        Message read = mapper.readValue(mapper.writeValueAsString(written), Message.class);
        assertThat(read).isEqualTo(written);
        assertThat(new ObjectMapper().readValue(new ObjectMapper().writeValueAsString(written), Message.class)
                .metadata().get("price")).isEqualTo(0.1);
    }

    /** Jackson round trip of an Unknown part whose field is a long that fits an int. */
    @Test
    void jacksonRoundTripKeepsUnknownPartFields() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        Message written = message(Part.text("see"), new Part.Unknown("citation_v9", Map.of("offset", 5L)));
        Message read = mapper.readValue(mapper.writeValueAsString(written), Message.class);
        assertThat(read).isEqualTo(written);
    }
}
