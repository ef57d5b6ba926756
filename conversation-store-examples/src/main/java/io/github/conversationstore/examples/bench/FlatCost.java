package io.github.conversationstore.examples.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.util.Arrays;

/**
 * The flat-cost target measured strictly side by side: appends to a session of 100,000 messages and
 * to sessions of 100 messages alternate in one loop on one server, so that noise, JIT and garbage
 * collection hit both alike. The short sessions are many, so that each grows by a few messages only
 * (and, like any session of 100 messages, never needs a move); the long one pays its moves to the
 * archive, which the means include.
 */
final class FlatCost {
    /** Mean and median microseconds per append, for the long and the short sessions. */
    record Result(int longLength, int shortLength, int rounds, double longMean, double longMedian,
            double shortMean, double shortMedian) {
        double meanRatio() {
            return longMean / shortMean;
        }

        double medianRatio() {
            return longMedian / shortMedian;
        }
    }

    private FlatCost() {}

    static Result measure(int longLength, int shortLength, int rounds) {
        int shortSessions = Math.max(1, rounds / 5);
        MongoServer server = new MongoServer(new MemoryBackend());
        server.bind("127.0.0.1", 0);
        try (MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + server.getLocalAddress().getPort())) {
            WritePattern.Writer writer = WritePattern.LIBRARY.open(client, "flat");
            writer.prefill("long", longLength);
            for (int s = 0; s < shortSessions; s++) {
                writer.prefill("short-" + s, shortLength);
                writer.prefill("warm-" + s, shortLength);
            }
            for (int i = 0; i < rounds / 2; i++) { // warm-up, discarded
                writer.append("long");
                writer.append("warm-" + (i % shortSessions));
            }
            long[] longNanos = new long[rounds];
            long[] shortNanos = new long[rounds];
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                writer.append("long");
                long t1 = System.nanoTime();
                writer.append("short-" + (i % shortSessions));
                long t2 = System.nanoTime();
                longNanos[i] = t1 - t0;
                shortNanos[i] = t2 - t1;
            }
            return new Result(longLength, shortLength, rounds, mean(longNanos), median(longNanos),
                    mean(shortNanos), median(shortNanos));
        } finally {
            server.shutdownNow();
        }
    }

    private static double mean(long[] nanos) {
        return Arrays.stream(nanos).average().orElse(0) / 1e3;
    }

    private static double median(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2] / 1e3;
    }
}
