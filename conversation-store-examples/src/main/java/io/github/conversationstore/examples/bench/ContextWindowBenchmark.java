package io.github.conversationstore.examples.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.github.conversationstore.ContextWindow;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Summary;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Token windows at two conversation lengths side by side on one embedded server: a session of
 * {@code short} messages and one of {@code long} messages, each with a summary covering all but
 * its last 40 messages, windows of a 600-token budget read strictly interleaved. Prints the median
 * microseconds per window of each and their ratio, the commands per window, and the commands a
 * summary write costs (counted with a command listener).
 *
 * <pre>
 * ./mvnw -q -pl conversation-store-examples -am test-compile exec:java \
 *     -Dexec.mainClass=io.github.conversationstore.examples.bench.ContextWindowBenchmark [-Dexec.args="100 100000 2000"]
 * </pre>
 */
public final class ContextWindowBenchmark {
    static final int BUDGET = 600;
    static final int TAIL = 40;

    private ContextWindowBenchmark() {}

    public static void main(String[] args) {
        int small = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int large = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2_000;
        MongoServer server = EmbeddedServer.start();
        WireStats.Counter counter = new WireStats.Counter();
        try (MongoClient client = MongoClients.create(counter.settings(server));
                MongoConversationStore store = MongoConversationStore.builder().client(client).database("windows").build()) {
            fill(store, "short", small);
            fill(store, "long", large);
            counter.reset();
            store.writeSummary("short", Summary.of(0, small - TAIL, "summary of the short one", 40));
            long summaryCommands = counter.commands.get();
            store.writeSummary("long", Summary.of(0, large - TAIL, "summary of the long one", 40));
            long[] a = new long[rounds];
            long[] b = new long[rounds];
            for (int i = 0; i < rounds / 4; i++) {
                window(store, "short");
                window(store, "long");
            }
            for (int i = 0; i < rounds; i++) {
                if (i % 2 == 0) {
                    a[i] = window(store, "short");
                    b[i] = window(store, "long");
                } else {
                    b[i] = window(store, "long");
                    a[i] = window(store, "short");
                }
            }
            counter.reset();
            window(store, "short");
            long shortCommands = counter.commands.get();
            counter.reset();
            window(store, "long");
            long longCommands = counter.commands.get();
            double ms = median(a) / 1000.0;
            double ml = median(b) / 1000.0;
            System.out.printf(Locale.ROOT, "Token window (budget %d tokens, summary + tail), %d rounds interleaved, embedded server%n",
                    BUDGET, rounds);
            System.out.println("| messages in session | median µs per window | commands per window | ratio |");
            System.out.println("|---|---|---|---|");
            System.out.printf(Locale.ROOT, "| %,d | %.1f | %d | 1.000 |%n", small, ms, shortCommands);
            System.out.printf(Locale.ROOT, "| %,d | %.1f | %d | %.3f |%n", large, ml, longCommands, ml / ms);
            System.out.printf(Locale.ROOT, "Summary write: %d commands%n", summaryCommands);
        } finally {
            server.shutdownNow();
        }
    }

    private static void fill(MongoConversationStore store, String sessionId, int messages) {
        for (int written = 0; written < messages; ) {
            int n = Math.min(200, messages - written);
            List<Message> batch = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int seq = written + i;
                batch.add(seq % 2 == 0 ? Message.user("question number " + seq + " about the weather in Lima")
                        : Message.assistant("answer number " + seq + ": it is sunny and warm in Lima today"));
            }
            store.appendMessages(sessionId, "en", batch);
            written += n;
        }
    }

    private static long window(MongoConversationStore store, String sessionId) {
        long start = System.nanoTime();
        ContextWindow window = store.contextWindow(sessionId, BUDGET);
        long took = System.nanoTime() - start;
        if (window.summary().isEmpty() || window.messages().isEmpty()) {
            throw new IllegalStateException("window of " + sessionId + " lacks its summary or tail: " + window);
        }
        return took;
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
