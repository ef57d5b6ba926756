package io.github.conversationstore.examples.bench;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import de.bwaldvogel.mongo.MongoServer;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.StreamingReplyProvider;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.concurrent.locks.LockSupport;

/**
 * A streamed reply of {@code tokens} tokens at {@code rate} tokens per second on the embedded
 * server, with the default draft settings (a write at most every 250 ms or 2 KiB): the draft
 * writes it cost beside the bound {@code duration / 250 ms + 2}, the latency a follower in another
 * process (its own client and store) sees behind the producer for each token, and the store
 * commands of the whole turn beside those of the same turn with a provider that does not stream
 * (same reply), measured in one run.
 *
 * <pre>
 * ./mvnw -q -pl conversation-store-examples -am test-compile exec:java \
 *     -Dexec.mainClass=io.github.conversationstore.examples.bench.StreamingBenchmark [-Dexec.args="2000 50"]
 * </pre>
 */
public final class StreamingBenchmark {
    private StreamingBenchmark() {}

    /**
     * What one run measured.
     *
     * @param seconds how long the stream took
     * @param draftWrites commands on the drafts collection during the streamed turn
     * @param bound the target: one write per 250 ms of streaming, plus two
     * @param streamedCommands every command of the streamed turn
     * @param plainCommands every command of the same turn without streaming
     * @param medianLagMillis the follower's median delay behind the producer, per token
     * @param p95LagMillis its 95th percentile
     * @param maxLagMillis its largest
     */
    public record Result(double seconds, long draftWrites, long bound, long streamedCommands, long plainCommands,
            double medianLagMillis, double p95LagMillis, double maxLagMillis) {}

    public static void main(String[] args) throws Exception {
        int tokens = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        Result r = measure(tokens, rate);
        System.out.printf(Locale.ROOT, "Streamed reply of %,d tokens at %d tokens/s (%.1f s), embedded server, default"
                + " draft settings (250 ms / 2 KiB)%n", tokens, rate, r.seconds());
        System.out.println("| measure | value |");
        System.out.println("|---|---|");
        System.out.printf(Locale.ROOT, "| draft writes | %d (target at most %d: one per 250 ms + 2; ratio %.2f) |%n",
                r.draftWrites(), r.bound(), (double) r.draftWrites() / r.bound());
        System.out.printf(Locale.ROOT, "| follower in another process, delay behind the producer per token | median %.0f ms,"
                + " p95 %.0f ms, max %.0f ms |%n", r.medianLagMillis(), r.p95LagMillis(), r.maxLagMillis());
        System.out.printf(Locale.ROOT, "| store commands of the turn, streamed vs not | %d vs %d (%.2fx) |%n",
                r.streamedCommands(), r.plainCommands(), (double) r.streamedCommands() / r.plainCommands());
    }

    /** Runs the streamed turn with a follower, then the same turn without streaming. */
    public static Result measure(int tokens, int rate) throws Exception {
        MongoServer server = EmbeddedServer.start();
        Counting producerCommands = new Counting();
        ExecutorService threads = Executors.newCachedThreadPool();
        try (MongoClient producerClient = MongoClients.create(settings(server, producerCommands));
                MongoClient followerClient = MongoClients.create(settings(server, null));
                MongoConversationStore producing = MongoConversationStore.builder().client(producerClient)
                        .database("streaming").build();
                MongoConversationStore following = MongoConversationStore.builder().client(followerClient)
                        .database("streaming").createIndexes(false).build()) {
            long[] emitted = new long[tokens];
            Paced paced = new Paced(tokens, rate, emitted);
            long[] received = new long[tokens];
            Duration timeout = Duration.ofSeconds(60L + 2L * tokens / rate);
            try (TurnService producer = TurnService.builder(producing).provider(paced).replyTimeout(timeout).build();
                    TurnService follower = TurnService.builder(following).provider(paced).build()) {
                producer.respond("warm", "en", "warm up", "w0"); // connections and indexes
                producerCommands.reset();
                int[] seen = {0};
                Future<?> follow = threads.submit(() -> follower.followTurn("s", "t1", 0, delta -> {
                    long now = System.nanoTime();
                    int words = (int) delta.chars().filter(c -> c == ' ').count();
                    for (int i = 0; i < words && seen[0] < tokens; i++) {
                        received[seen[0]++] = now;
                    }
                }, timeout));
                long start = System.nanoTime();
                producer.respond("s", "en", "stream a long one", "t1");
                double seconds = (System.nanoTime() - start) / 1e9;
                follow.get(timeout.toSeconds(), TimeUnit.SECONDS);
                long streamed = producerCommands.all.get();
                long drafts = producerCommands.drafts.get();

                producerCommands.reset();
                ReplyProvider plain = request -> paced.reply(request);
                try (TurnService notStreaming = TurnService.builder(producing).provider(plain).build()) {
                    notStreaming.respond("p", "en", "stream a long one", "t2");
                }
                long plainCommands = producerCommands.all.get();

                double[] lags = new double[tokens];
                for (int i = 0; i < tokens; i++) {
                    lags[i] = (received[i] - emitted[i]) / 1e6;
                }
                Arrays.sort(lags);
                long bound = (long) Math.floor(seconds / 0.25) + 2;
                return new Result(seconds, drafts, bound, streamed, plainCommands, lags[tokens / 2],
                        lags[(int) (tokens * 0.95)], lags[tokens - 1]);
            }
        } finally {
            threads.shutdownNow();
            server.shutdownNow();
        }
    }

    private static MongoClientSettings settings(MongoServer server, CommandListener listener) {
        MongoClientSettings.Builder b = MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(EmbeddedServer.uri(server)));
        if (listener != null) {
            b.addCommandListener(listener);
        }
        return b.build();
    }

    /** Emits "t0 t1 ..." at a steady rate, noting when each token went out; its reply without streaming is the same text. */
    private static final class Paced implements StreamingReplyProvider {
        private final int tokens;
        private final int rate;
        private final long[] emitted;

        Paced(int tokens, int rate, long[] emitted) {
            this.tokens = tokens;
            this.rate = rate;
            this.emitted = emitted;
        }

        @Override
        public Reply stream(ReplyRequest request, Consumer<String> deltas) {
            if (!"t1".equals(request.turnId())) {
                return Reply.of("warm");
            }
            long start = System.nanoTime();
            long every = TimeUnit.SECONDS.toNanos(1) / rate;
            for (int i = 0; i < tokens; i++) {
                long due = start + i * every;
                while (System.nanoTime() < due) {
                    LockSupport.parkNanos(due - System.nanoTime());
                }
                emitted[i] = System.nanoTime();
                deltas.accept("t" + i + " ");
            }
            return Reply.of(text(tokens));
        }

        @Override
        public Reply reply(ReplyRequest request) {
            return Reply.of(text(tokens));
        }

        static String text(int tokens) {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < tokens; i++) {
                all.append('t').append(i).append(' ');
            }
            return all.toString();
        }
    }

    /** Counts every command, and those on a drafts collection. */
    private static final class Counting implements CommandListener {
        final AtomicLong all = new AtomicLong();
        final AtomicLong drafts = new AtomicLong();

        @Override
        public void commandStarted(CommandStartedEvent event) {
            all.incrementAndGet();
            var target = event.getCommand().get(event.getCommandName());
            if (target != null && target.isString() && target.asString().getValue().endsWith("_drafts")) {
                drafts.incrementAndGet();
            }
        }

        void reset() {
            all.set(0);
            drafts.set(0);
        }
    }
}
