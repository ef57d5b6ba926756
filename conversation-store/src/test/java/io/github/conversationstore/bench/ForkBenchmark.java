package io.github.conversationstore.bench;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Forks side by side on one embedded server (issue 23), as ratios measured in one run:
 * <ol>
 *   <li>the cost of a fork of a session of {@code short} messages and of one of {@code long}
 *       messages, each forked at its end (its whole history shared), strictly interleaved;</li>
 *   <li>a window of the last {@code window} messages of a third-level fork (a fork of a fork of a
 *       fork, each level adding 10 messages, so the window crosses every boundary) and of an
 *       ordinary session holding the same messages, strictly interleaved; and a window of the last
 *       10 (the fork's own messages) on both; the crossing window also on a second store on the
 *       same data without the cache of shared chunks ({@code forkCacheBytes(0)}: every read of the
 *       shared range goes to the archive).</li>
 * </ol>
 * Commands per operation are counted with a {@link CommandListener}. A main class in the core's
 * test sources (the core's build skips {@code exec:java} unless told otherwise):
 *
 * <pre>
 * ./mvnw -q -pl conversation-store test-compile exec:java -Dexec.skip=false -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.github.conversationstore.bench.ForkBenchmark [-Dexec.args="100 100000 400 2000 50"]
 * </pre>
 */
public final class ForkBenchmark {
    private ForkBenchmark() {}

    /** Counts the commands a client sends. */
    static final class Counter implements CommandListener {
        final AtomicLong commands = new AtomicLong();

        @Override
        public void commandStarted(CommandStartedEvent event) {
            commands.incrementAndGet();
        }
    }

    public static void main(String[] args) {
        int small = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int large = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        int forks = args.length > 2 ? Integer.parseInt(args[2]) : 400;
        int reads = args.length > 3 ? Integer.parseInt(args[3]) : 2_000;
        int window = args.length > 4 ? Integer.parseInt(args[4]) : 50;
        Counter counter = new Counter();
        try (EmbeddedMongo server = new EmbeddedMongo();
                MongoClient client = MongoClients.create(MongoClientSettings.builder()
                        .applyConnectionString(new ConnectionString(server.connectionString()))
                        .addCommandListener(counter).build());
                MongoConversationStore store = MongoConversationStore.builder().client(client).database("forks").build();
                MongoConversationStore cold = MongoConversationStore.builder().client(client).database("forks")
                        .forkCacheBytes(0).build()) {
            fill(store, "short", 0, small);
            fill(store, "long", 0, large);

            // 1. fork cost at two parent lengths
            long[] a = new long[forks];
            long[] b = new long[forks];
            for (int i = 0; i < forks / 4; i++) {
                store.fork("short", small, "warm-short-" + i);
                store.fork("long", large, "warm-long-" + i);
            }
            for (int i = 0; i < forks; i++) {
                if (i % 2 == 0) {
                    a[i] = fork(store, "short", small, "short-" + i);
                    b[i] = fork(store, "long", large, "long-" + i);
                } else {
                    b[i] = fork(store, "long", large, "long-" + i);
                    a[i] = fork(store, "short", small, "short-" + i);
                }
            }
            counter.commands.set(0);
            store.fork("short", small, "counted-short");
            long shortCommands = counter.commands.getAndSet(0);
            store.fork("long", large, "counted-long");
            long longCommands = counter.commands.getAndSet(0);

            // 2. windows on a third-level fork and on an ordinary session with the same messages
            int root = 100;
            fill(store, "root", 0, root);
            store.fork("root", root, "level-1");
            fill(store, "level-1", root, 10);
            store.fork("level-1", root + 10, "level-2");
            fill(store, "level-2", root + 10, 10);
            store.fork("level-2", root + 20, "level-3");
            fill(store, "level-3", root + 20, 10);
            fill(store, "plain", 0, root + 30);
            if (!texts(store.recentMessages("level-3", root + 30)).equals(texts(store.recentMessages("plain", root + 30)))) {
                throw new IllegalStateException("the third-level fork does not read as the ordinary session");
            }
            long[] c = new long[reads];
            long[] d = new long[reads];
            long[] e = new long[reads];
            long[] f = new long[reads];
            long[] g = new long[reads];
            for (int i = 0; i < reads / 4; i++) {
                read(store, "level-3", window);
                read(cold, "level-3", window);
                read(store, "plain", window);
            }
            for (int i = 0; i < reads; i++) {
                if (i % 2 == 0) {
                    c[i] = read(store, "plain", window);
                    d[i] = read(store, "level-3", window);
                    g[i] = read(cold, "level-3", window);
                    e[i] = read(store, "plain", 10);
                    f[i] = read(store, "level-3", 10);
                } else {
                    g[i] = read(cold, "level-3", window);
                    d[i] = read(store, "level-3", window);
                    c[i] = read(store, "plain", window);
                    f[i] = read(store, "level-3", 10);
                    e[i] = read(store, "plain", 10);
                }
            }
            counter.commands.set(0);
            read(store, "plain", window);
            long plainCommands = counter.commands.getAndSet(0);
            read(store, "level-3", window);
            long forkCommands = counter.commands.getAndSet(0);
            read(cold, "level-3", window);
            long coldCommands = counter.commands.getAndSet(0);
            read(store, "plain", 10);
            long plainOwnCommands = counter.commands.getAndSet(0);
            read(store, "level-3", 10);
            long forkOwnCommands = counter.commands.getAndSet(0);

            System.out.printf(Locale.ROOT, "Fork cost, %d forks of each interleaved (after %d of warm-up), embedded server%n",
                    forks, forks / 4);
            System.out.println("| parent's messages | median µs per fork | commands per fork | ratio |");
            System.out.println("|---|---|---|---|");
            System.out.printf(Locale.ROOT, "| %,d | %.1f | %d | 1.000 |%n", small, median(a) / 1000.0, shortCommands);
            System.out.printf(Locale.ROOT, "| %,d | %.1f | %d | %.3f |%n", large, median(b) / 1000.0, longCommands,
                    (double) median(b) / median(a));
            System.out.printf(Locale.ROOT, "%nWindow reads (recentMessages), %d of each interleaved%n", reads);
            System.out.println("| window | session | median µs | commands | ratio |");
            System.out.println("|---|---|---|---|---|");
            System.out.printf(Locale.ROOT, "| last %d (crosses 3 boundaries) | ordinary, %d messages | %.1f | %d | 1.000 |%n",
                    window, root + 30, median(c) / 1000.0, plainCommands);
            System.out.printf(Locale.ROOT, "| last %d (crosses 3 boundaries) | third-level fork | %.1f | %d | %.3f |%n",
                    window, median(d) / 1000.0, forkCommands, (double) median(d) / median(c));
            System.out.printf(Locale.ROOT, "| last %d (crosses 3 boundaries) | third-level fork, forkCacheBytes(0) | %.1f | %d | %.3f |%n",
                    window, median(g) / 1000.0, coldCommands, (double) median(g) / median(c));
            System.out.printf(Locale.ROOT, "| last 10 (the fork's own) | ordinary, %d messages | %.1f | %d | 1.000 |%n",
                    root + 30, median(e) / 1000.0, plainOwnCommands);
            System.out.printf(Locale.ROOT, "| last 10 (the fork's own) | third-level fork | %.1f | %d | %.3f |%n",
                    median(f) / 1000.0, forkOwnCommands, (double) median(f) / median(e));
        }
    }

    private static void fill(MongoConversationStore store, String sessionId, int first, int messages) {
        for (int written = 0; written < messages; ) {
            int n = Math.min(200, messages - written);
            List<Message> batch = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int seq = first + written + i;
                batch.add(seq % 2 == 0 ? Message.user("question number " + seq + " about the weather in Lima")
                        : Message.assistant("answer number " + seq + ": it is sunny and warm in Lima today"));
            }
            store.appendMessages(sessionId, "en", batch);
            written += n;
        }
    }

    private static long fork(MongoConversationStore store, String parent, long at, String child) {
        long start = System.nanoTime();
        store.fork(parent, at, child);
        return System.nanoTime() - start;
    }

    private static long read(MongoConversationStore store, String sessionId, int limit) {
        long start = System.nanoTime();
        List<StoredMessage> window = store.recentMessages(sessionId, limit);
        long took = System.nanoTime() - start;
        if (window.size() != limit) {
            throw new IllegalStateException("window of " + sessionId + " holds " + window.size() + " messages, not " + limit);
        }
        return took;
    }

    private static List<String> texts(List<StoredMessage> messages) {
        return messages.stream().map(StoredMessage::text).toList();
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
