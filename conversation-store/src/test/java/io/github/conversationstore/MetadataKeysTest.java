package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The public metadata-key escape: reversible, and what it writes the store takes. */
class MetadataKeysTest {
    private static final String ALPHABET = "ab%.$\0zZ09_-é😀%2E%24";

    @Test
    void escape_examples() {
        assertThat(MetadataKeys.escape("plain")).isEqualTo("plain");
        assertThat(MetadataKeys.escape("")).isEqualTo("%");
        assertThat(MetadataKeys.escape("gen_ai.usage")).isEqualTo("gen_ai%2Eusage");
        assertThat(MetadataKeys.escape("$set")).isEqualTo("%24set");
        assertThat(MetadataKeys.escape("a$b")).isEqualTo("a$b");
        assertThat(MetadataKeys.escape("100%")).isEqualTo("100%25");
        assertThat(MetadataKeys.escape("nul\0")).isEqualTo("nul%00");
    }

    @Test
    void unescape_readsEveryFormTheAdaptersWrote_andLeavesOtherTextAlone() {
        assertThat(MetadataKeys.unescape("%")).isEmpty();
        assertThat(MetadataKeys.unescape("a%24b")).isEqualTo("a$b"); // LangChain4j escaped every '$'
        assertThat(MetadataKeys.unescape("%zz")).isEqualTo("%zz");
        assertThat(MetadataKeys.unescape("50%")).isEqualTo("50%");
        assertThat(MetadataKeys.unescape("%4")).isEqualTo("%4");
    }

    @Test
    void randomKeys_roundTrip_andAreTakenByTheStore() {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        for (int run = 0; run < 5_000; run++) {
            StringBuilder key = new StringBuilder();
            int length = random.nextInt(8);
            for (int i = 0; i < length; i++) {
                key.appendCodePoint(ALPHABET.codePointAt(ALPHABET.offsetByCodePoints(0,
                        random.nextInt(ALPHABET.codePointCount(0, ALPHABET.length())))));
            }
            String original = key.toString();
            String escaped = MetadataKeys.escape(original);

            assertThat(MetadataKeys.unescape(escaped)).as("seed %d, key '%s'", seed, original).isEqualTo(original);
            Message message = new Message("m", Role.USER, List.of(Part.text("hi")), Instant.EPOCH, Map.of(),
                    Map.of(escaped, Map.of(escaped, 1)));
            assertThat(message.metadata()).as("seed %d", seed).containsKey(escaped);
        }
    }
}
