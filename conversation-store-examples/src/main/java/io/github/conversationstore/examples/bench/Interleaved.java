package io.github.conversationstore.examples.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import java.util.Arrays;

/**
 * Two appenders measured strictly side by side: their appends alternate (in both orders) in one loop
 * on one server, so that noise, JIT and garbage collection hit both alike. Used for the targets whose
 * ratio is close to 1, where separate trials minutes apart would mostly measure the machine's drift.
 * Each side writes to enough sessions of its length that they grow by about a tenth at most.
 */
final class Interleaved {
    /** Mean and median microseconds per append of each side. */
    record Result(WritePattern a, int lengthA, WritePattern b, int lengthB, int rounds,
            double meanA, double medianA, double meanB, double medianB) {
        double meanRatio() {
            return meanA / meanB;
        }

        double medianRatio() {
            return medianA / medianB;
        }
    }

    private Interleaved() {}

    static Result measure(WritePattern a, int lengthA, WritePattern b, int lengthB, int rounds) {
        MongoServer server = EmbeddedServer.start();
        try (MongoClient client = MongoClients.create(EmbeddedServer.uri(server))) {
            Side sideA = new Side(a.open(client, "a"), lengthA, rounds);
            Side sideB = new Side(b.open(client, "b"), lengthB, rounds);
            for (int i = 0; i < rounds / 4; i++) { // warm-up, discarded
                sideA.append(i);
                sideB.append(i);
            }
            long[] nanosA = new long[rounds];
            long[] nanosB = new long[rounds];
            for (int i = 0; i < rounds; i++) {
                if (i % 2 == 0) {
                    nanosA[i] = sideA.timedAppend(i);
                    nanosB[i] = sideB.timedAppend(i);
                } else {
                    nanosB[i] = sideB.timedAppend(i);
                    nanosA[i] = sideA.timedAppend(i);
                }
            }
            return new Result(a, lengthA, b, lengthB, rounds, mean(nanosA), median(nanosA), mean(nanosB), median(nanosB));
        } finally {
            server.shutdownNow();
        }
    }

    private static final class Side {
        final WritePattern.Writer writer;
        final int sessions;

        Side(WritePattern.Writer writer, int length, int rounds) {
            this.writer = writer;
            this.sessions = Math.max(1, Math.min(rounds / 5, rounds * 25 / length));
            for (int s = 0; s < sessions; s++) {
                writer.prefill("s" + s, length);
            }
        }

        void append(int i) {
            writer.append("s" + (i % sessions));
        }

        long timedAppend(int i) {
            long t0 = System.nanoTime();
            append(i);
            return System.nanoTime() - t0;
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
