package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongo;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Measures, side by side in one run on the embedded server, the latency of appending a (user,
 * assistant) pair of 200-character texts to sessions of 100 to 130 messages and to a session of
 * about 100,000 messages, interleaved so that machine noise hits both alike. Prints medians and
 * the ratio. Not a test: run it with
 *
 * <pre>
 * ./mvnw -q -pl conversation-store test-compile exec:java -Dexec.skip=false -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.github.conversationstore.AppendLatencyAtLength
 * </pre>
 */
public final class AppendLatencyAtLength {
    private static final int ROUNDS = 1_000;
    private static final int SHORT_SESSIONS = 100;

    private AppendLatencyAtLength() {}

    public static void main(String[] args) {
        try (EmbeddedMongo server = new EmbeddedMongo();
                MongoClient client = MongoClients.create(server.connectionString());
                MongoConversationStore store = MongoConversationStore.builder().client(client).database("bench")
                        .appendIdWindow(Integer.getInteger("window", 2048)).build()) {
            String text = "x".repeat(200);
            // short sessions built as a chat builds them: 50 appends of a pair
            for (int p = 0; p < 50; p++) {
                for (int s = 0; s < SHORT_SESSIONS; s++) {
                    store.appendMessages("short-" + s, "en", pair(text));
                }
            }
            for (int i = 0; i < 100_000; i += 250) {
                store.appendMessages("long", "en", filler(250, text));
            }
            long[] shortNanos = new long[ROUNDS];
            long[] longNanos = new long[ROUNDS];
            for (int warm = 0; warm < 200; warm++) {
                store.appendMessages("long", "en", pair(text));
                store.appendMessages("short-" + (warm % SHORT_SESSIONS), "en", pair(text));
            }
            for (int r = 0; r < ROUNDS; r++) {
                long t0 = System.nanoTime();
                store.appendMessages("long", "en", pair(text));
                long t1 = System.nanoTime();
                store.appendMessages("short-" + (r % SHORT_SESSIONS), "en", pair(text));
                long t2 = System.nanoTime();
                longNanos[r] = t1 - t0;
                shortNanos[r] = t2 - t1;
            }
            double shortMedian = median(shortNanos) / 1e3;
            double longMedian = median(longNanos) / 1e3;
            System.out.printf(Locale.ROOT, "append of a pair, median of %d interleaved appends (embedded server)%n", ROUNDS);
            System.out.printf(Locale.ROOT, "  sessions of 100-130 messages: %8.1f us%n", shortMedian);
            System.out.printf(Locale.ROOT, "  session of ~100,000 messages: %8.1f us%n", longMedian);
            System.out.printf(Locale.ROOT, "  ratio 100,000 / 100:          %8.2fx (target <= 1.3x)%n", longMedian / shortMedian);
            System.out.printf(Locale.ROOT, "  mean including archive moves: %8.1f us vs %8.1f us%n",
                    Arrays.stream(longNanos).average().orElse(0) / 1e3, Arrays.stream(shortNanos).average().orElse(0) / 1e3);
        }
    }

    private static List<Message> filler(int n, String text) {
        List<Message> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(i % 2 == 0 ? Message.user(text) : Message.assistant(text));
        }
        return out;
    }

    private static List<Message> pair(String text) {
        return List.of(Message.user(text), Message.assistant(text));
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
