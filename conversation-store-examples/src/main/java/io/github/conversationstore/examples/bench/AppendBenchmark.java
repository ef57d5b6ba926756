package io.github.conversationstore.examples.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Appending a (user, assistant) pair of 200-character texts to sessions of a given length, on the
 * embedded server. Each pattern writes to a pool of sessions pre-filled to {@code length} messages
 * (refilled before each iteration below 1,000 messages, so that growth stays under 20%), among
 * {@value #HEADS} conversations in all. {@code sessions} says how the threads share them:
 * {@code spread}, each thread its own sessions; {@code contended}, all threads on one session at a
 * time.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class AppendBenchmark {

    /** The server, the pattern and its pre-filled sessions, shared by all threads. */
    @State(Scope.Benchmark)
    public static class Bench {
        @Param({"LIBRARY"})
        public String pattern;

        @Param({"100"})
        public int length;

        @Param({"spread"})
        public String sessions;

        /** Messages pre-filled across the pool of sessions (fewer in the smoke run). */
        @Param({"100000"})
        public int poolMessages;

        MongoServer server;
        MongoClient client;
        WritePattern.Writer writer;
        int poolSize;
        final AtomicLong shared = new AtomicLong();

        @Setup(Level.Trial)
        public void setUp() {
            server = EmbeddedServer.start();
            InetSocketAddress address = server.getLocalAddress();
            client = MongoClients.create("mongodb://127.0.0.1:" + address.getPort());
            poolSize = poolSize(length, poolMessages);
            fill();
        }

        /** Short sessions grow noticeably in an iteration: start each iteration from the same lengths. */
        @Setup(Level.Iteration)
        public void refillShortSessions() {
            if (length < 1_000 && iterations++ > 0) {
                fill();
            }
        }

        private int iterations;

        /**
         * Pre-fills the pool, plus short filler sessions up to {@value #HEADS} sessions in all, so that
         * every length runs against collections of the same number of conversations.
         */
        private void fill() {
            client.getDatabase("bench").drop();
            writer = WritePattern.valueOf(pattern).open(client, "bench");
            for (int s = 0; s < poolSize; s++) {
                writer.prefill(session(s), length);
            }
            for (int s = poolSize; s < HEADS; s++) {
                writer.prefill("filler-" + s, 100);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            client.close();
            server.shutdownNow();
        }
    }

    /** Conversations in every run: the pool, topped up with short fillers. */
    static final int HEADS = 100;

    /**
     * Sessions of {@code length} messages pre-filled: about {@code messages} in all, between 8 and
     * {@value #HEADS}, or one when a single session holds that many.
     */
    static int poolSize(int length, int messages) {
        return length >= messages ? 1 : Math.max(8, Math.min(HEADS, messages / length));
    }

    static String session(int i) {
        return "s" + i;
    }

    /** Per-thread round robin. */
    @State(Scope.Thread)
    public static class Cursor {
        int thread;
        int threads;
        long next;

        @Setup(Level.Trial)
        public void setUp(ThreadParams params) {
            thread = params.getThreadIndex();
            threads = params.getThreadCount();
        }
    }

    @Benchmark
    public void append(Bench bench, Cursor cursor) {
        int index;
        if ("contended".equals(bench.sessions)) {
            index = (int) (bench.shared.getAndIncrement() / cursor.threads % bench.poolSize);
        } else {
            index = (int) ((cursor.thread + cursor.next++ * cursor.threads) % bench.poolSize);
        }
        for (int attempt = 1; ; attempt++) {
            try {
                bench.writer.append(session(index));
                return;
            } catch (com.mongodb.MongoWriteException | com.mongodb.MongoCommandException e) {
                // the peers' patterns, on a session two threads create at once: E11000, the original bug;
                // an application retries (the library never lets it reach the caller)
                boolean duplicateKey = e instanceof com.mongodb.MongoWriteException
                        ? ((com.mongodb.MongoWriteException) e).getError().getCategory() == com.mongodb.ErrorCategory.DUPLICATE_KEY
                        : com.mongodb.ErrorCategory.fromErrorCode(((com.mongodb.MongoCommandException) e).getErrorCode())
                                == com.mongodb.ErrorCategory.DUPLICATE_KEY;
                if (!duplicateKey || attempt == 5) {
                    throw e;
                }
            }
        }
    }
}
