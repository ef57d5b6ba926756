package io.github.conversationstore.examples.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.observability.MicrometerStoreListener;
import io.github.conversationstore.spi.StoreListener;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;

/**
 * What listening costs an append: the same append of a (user, assistant) pair of 200-character
 * texts, with no listener, with a listener that does nothing (the events are built, nobody keeps
 * them) and with the Micrometer binding on a {@link SimpleMeterRegistry}, strictly interleaved on one
 * embedded server (the order rotates every round, so that noise, JIT and garbage collection hit all
 * three alike). Prints the median and mean microseconds per append and their ratios to no listener.
 *
 * <pre>
 * ./mvnw -q -pl conversation-store-examples -am test-compile exec:java \
 *     -Dexec.mainClass=io.github.conversationstore.examples.bench.ListenerOverhead [-Dexec.args="rounds"]
 * </pre>
 */
public final class ListenerOverhead {
    /** The three ways a store is built. */
    enum Config {
        NONE("no listener"),
        NO_OP("no-op listener"),
        MICROMETER("Micrometer binding");

        final String label;

        Config(String label) {
            this.label = label;
        }
    }

    /** Microseconds per append of each configuration, in {@link Config} order. */
    record Result(int rounds, int sessions, double[] median, double[] mean) {
        double medianRatio(Config c) {
            return median[c.ordinal()] / median[Config.NONE.ordinal()];
        }

        double meanRatio(Config c) {
            return mean[c.ordinal()] / mean[Config.NONE.ordinal()];
        }

        void print(PrintStream out) {
            out.printf(Locale.ROOT, "Listener overhead: %d appends per configuration (after %d of warm-up), interleaved,"
                    + " %d sessions each, on the embedded server%n", rounds, rounds / 4, sessions);
            out.println("| configuration | median µs | mean µs | median / none | mean / none |");
            out.println("|---|---|---|---|---|");
            for (Config c : Config.values()) {
                out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.3f | %.3f |%n", c.label, median[c.ordinal()], mean[c.ordinal()],
                        medianRatio(c), meanRatio(c));
            }
        }
    }

    static final int LENGTH = 100;

    private ListenerOverhead() {}

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 4000;
        measure(rounds).print(System.out);
    }

    static Result measure(int rounds) {
        MongoServer server = EmbeddedServer.start();
        try (MongoClient client = MongoClients.create(EmbeddedServer.uri(server))) {
            int sessions = Math.max(1, Math.min(50, rounds / 20));
            Config[] configs = Config.values();
            MongoConversationStore[] stores = new MongoConversationStore[configs.length];
            for (Config c : configs) {
                MongoConversationStore.Builder builder = MongoConversationStore.builder().client(client).database(c.name().toLowerCase(Locale.ROOT));
                if (c == Config.NO_OP) {
                    builder.listener(new StoreListener() {});
                } else if (c == Config.MICROMETER) {
                    builder.listener(MicrometerStoreListener.create(new SimpleMeterRegistry()));
                }
                stores[c.ordinal()] = builder.build();
                WritePattern.LibraryWriter writer = new WritePattern.LibraryWriter(stores[c.ordinal()]);
                for (int s = 0; s < sessions; s++) {
                    writer.prefill("s" + s, LENGTH);
                }
            }
            try {
                for (int i = 0; i < rounds / 4; i++) { // warm-up, discarded
                    for (MongoConversationStore store : stores) {
                        append(store, i % sessions);
                    }
                }
                long[][] nanos = new long[configs.length][rounds];
                for (int i = 0; i < rounds; i++) {
                    for (int k = 0; k < configs.length; k++) {
                        int c = (i + k) % configs.length; // rotate who goes first
                        long t0 = System.nanoTime();
                        append(stores[c], i % sessions);
                        nanos[c][i] = System.nanoTime() - t0;
                    }
                }
                double[] median = new double[configs.length];
                double[] mean = new double[configs.length];
                for (int c = 0; c < configs.length; c++) {
                    long[] sorted = nanos[c].clone();
                    Arrays.sort(sorted);
                    median[c] = sorted[sorted.length / 2] / 1e3;
                    mean[c] = Arrays.stream(nanos[c]).average().orElse(0) / 1e3;
                }
                return new Result(rounds, sessions, median, mean);
            } finally {
                for (MongoConversationStore store : stores) {
                    store.close();
                }
            }
        } finally {
            server.shutdownNow();
        }
    }

    private static void append(MongoConversationStore store, int session) {
        store.appendMessages("s" + session, "en", WritePattern.pair());
    }
}
