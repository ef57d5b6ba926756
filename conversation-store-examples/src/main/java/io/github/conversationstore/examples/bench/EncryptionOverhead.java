package io.github.conversationstore.examples.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.github.conversationstore.LocalKeyProvider;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What encryption costs: the same operations on two stores of one embedded server, one with
 * {@code encryption(LocalKeyProvider)} and one without, strictly interleaved (the order alternates
 * every round, so that noise, JIT and garbage collection hit both alike). Three operations: an
 * append of a (user, assistant) pair of 200-character texts to a conversation of 100 messages, the
 * prompt window (the last 20 messages) of such a conversation, and the first append of a new
 * conversation (which draws and wraps its data key). The data keys of existing conversations are
 * cached after their first use, as in a running service. Prints the median and mean microseconds
 * and the ratios on / off.
 *
 * <pre>
 * ./mvnw -q -pl conversation-store-examples -am test-compile exec:java \
 *     -Dexec.mainClass=io.github.conversationstore.examples.bench.EncryptionOverhead [-Dexec.args="rounds"]
 * </pre>
 */
public final class EncryptionOverhead {
    static final String COMMAND = "./mvnw -q -pl conversation-store-examples -am test-compile exec:java"
            + " -Dexec.mainClass=io.github.conversationstore.examples.bench.EncryptionOverhead";
    static final int LENGTH = 100;
    static final int WINDOW_SIZE = 20;
    /** The target: encryption on within this factor of off, for appends and windows. */
    static final double TARGET = 1.2;

    /** The measured operations. */
    enum Operation {
        APPEND("append to a conversation of " + LENGTH + " messages"),
        WINDOW("window of the last " + WINDOW_SIZE + " messages"),
        NEW_CONVERSATION("first append of a new conversation (draws and wraps a data key)");

        final String label;

        Operation(String label) {
            this.label = label;
        }
    }

    /** Microseconds per operation: {@code [operation][0 = off, 1 = on]}. */
    record Result(int rounds, int sessions, double[][] median, double[][] mean) {
        double medianRatio(Operation op) {
            return median[op.ordinal()][1] / median[op.ordinal()][0];
        }

        double meanRatio(Operation op) {
            return mean[op.ordinal()][1] / mean[op.ordinal()][0];
        }

        /** The section of {@code BENCHMARKS.md}. */
        String markdown() {
            StringBuilder md = new StringBuilder();
            md.append(String.format(Locale.ROOT, "## Encryption overhead%n%nMeasured by `EncryptionOverhead` (`%s -Dexec.args=%d`): %d"
                    + " operations of each kind per store (after %d of warm-up), encryption off and on strictly"
                    + " interleaved on one embedded server, %d conversations of %d messages each, AES-256-GCM with a"
                    + " `LocalKeyProvider`; data keys of existing conversations cached, as in a running service.%n%n",
                    COMMAND, rounds, rounds, rounds / 4, sessions, LENGTH));
            md.append("| operation | off: median µs | on: median µs | off: mean µs | on: mean µs | median on / off | mean on / off |\n");
            md.append("|---|---|---|---|---|---|---|\n");
            for (Operation op : Operation.values()) {
                int i = op.ordinal();
                md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.1f | %.3fx | %.3fx |%n", op.label,
                        median[i][0], median[i][1], mean[i][0], mean[i][1], medianRatio(op), meanRatio(op)));
            }
            md.append(String.format(Locale.ROOT, "%nTarget (issue 25): append and window with encryption on within %.1fx of off:"
                    + " append %.2fx, window %.2fx (ratio of medians): **%s**.%n", TARGET, medianRatio(Operation.APPEND),
                    medianRatio(Operation.WINDOW),
                    medianRatio(Operation.APPEND) <= TARGET && medianRatio(Operation.WINDOW) <= TARGET ? "met" : "not met"));
            return md.toString();
        }

        void print(PrintStream out) {
            out.print(markdown());
        }
    }

    private EncryptionOverhead() {}

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 4000;
        measure(rounds).print(System.out);
    }

    static Result measure(int rounds) {
        MongoServer server = EmbeddedServer.start();
        byte[] kek = new byte[LocalKeyProvider.KEY_BYTES];
        new SecureRandom().nextBytes(kek);
        try (MongoClient client = MongoClients.create(EmbeddedServer.uri(server));
                MongoConversationStore off = MongoConversationStore.builder().client(client).database("off").build();
                MongoConversationStore on = MongoConversationStore.builder().client(client).database("on")
                        .encryption(LocalKeyProvider.of("bench", kek)).build()) {
            MongoConversationStore[] stores = {off, on};
            int sessions = Math.max(1, Math.min(50, rounds / 20));
            for (MongoConversationStore store : stores) {
                WritePattern.LibraryWriter writer = new WritePattern.LibraryWriter(store);
                for (int s = 0; s < sessions; s++) {
                    writer.prefill("s" + s, LENGTH);
                }
            }
            Operation[] ops = Operation.values();
            int[] fresh = {0};
            for (int i = 0; i < rounds / 4; i++) { // warm-up, discarded
                for (Operation op : ops) {
                    for (MongoConversationStore store : stores) {
                        run(op, store, i % sessions, "w" + i);
                    }
                }
            }
            long[][][] nanos = new long[ops.length][2][rounds];
            for (int i = 0; i < rounds; i++) {
                for (Operation op : ops) {
                    for (int k = 0; k < 2; k++) {
                        int c = (i + k) % 2; // alternate who goes first
                        String newSession = "n" + fresh[0]++;
                        long t0 = System.nanoTime();
                        run(op, stores[c], i % sessions, newSession);
                        nanos[op.ordinal()][c][i] = System.nanoTime() - t0;
                    }
                }
            }
            double[][] median = new double[ops.length][2];
            double[][] mean = new double[ops.length][2];
            for (int o = 0; o < ops.length; o++) {
                for (int c = 0; c < 2; c++) {
                    long[] sorted = nanos[o][c].clone();
                    Arrays.sort(sorted);
                    median[o][c] = sorted[sorted.length / 2] / 1e3;
                    mean[o][c] = Arrays.stream(nanos[o][c]).average().orElse(0) / 1e3;
                }
            }
            return new Result(rounds, sessions, median, mean);
        } finally {
            server.shutdownNow();
        }
    }

    private static void run(Operation op, MongoConversationStore store, int session, String newSession) {
        switch (op) {
            case APPEND -> store.appendMessages("s" + session, "en", WritePattern.pair());
            case WINDOW -> {
                if (store.recentMessages("s" + session, WINDOW_SIZE).size() != WINDOW_SIZE) {
                    throw new IllegalStateException("window too short");
                }
            }
            case NEW_CONVERSATION -> store.appendMessages(newSession, "en", List.of(Message.user("hello")));
            default -> throw new IllegalArgumentException(op.name());
        }
    }
}
