package io.github.conversationstore.examples.bench;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import de.bwaldvogel.mongo.MongoServer;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.ScriptedReplyProvider;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolInvocation;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.bson.Document;

/**
 * The benchmark's latency mode: every pattern through a {@link DelayingProxy} that adds a fixed
 * delay each way (0.5 ms, as within a zone, and 2 ms, as to a cross-zone {@code mongos}), side by
 * side in one run, on the embedded server. On loopback a round trip costs almost nothing, so
 * patterns that send more commands look cheap; here every round trip is charged. Each figure is
 * given in round trips: the median time of the operation divided by the median time of a
 * {@code ping} through the same proxy.
 *
 * <pre>
 * ./mvnw -q -pl conversation-store-examples -am test-compile exec:java \
 *     -Dexec.mainClass=io.github.conversationstore.examples.bench.NetworkLatency
 * </pre>
 *
 * Arguments: {@code [outputDirectory]} (default {@code docs}): replaces the section between the
 * markers {@value #START} and {@value #END} of {@code BENCHMARKS.md} there (appending it if
 * missing), which {@link BenchmarkReport} keeps when it rewrites the file.
 */
public final class NetworkLatency {
    static final String START = "<!-- network-latency:start -->";
    static final String END = "<!-- network-latency:end -->";
    static final String COMMAND = "./mvnw -q -pl conversation-store-examples -am test-compile exec:java "
            + "-Dexec.mainClass=io.github.conversationstore.examples.bench.NetworkLatency";
    private static final long[] DELAYS_MICROS = {500, 2_000};
    private static final int[] LENGTHS = {100, 100_000};

    private NetworkLatency() {}

    public static void main(String[] args) throws Exception {
        Path out = Paths.get(args.length > 0 ? args[0] : "docs");
        measure(true); // a discarded pass at 100 messages: warms the JIT, the pools and the proxy
        String section = measure(false);
        System.out.println(section);
        Path markdown = out.resolve("BENCHMARKS.md");
        String existing = Files.exists(markdown) ? Files.readString(markdown, StandardCharsets.UTF_8) : "";
        Files.writeString(markdown, withSection(existing, section), StandardCharsets.UTF_8);
        System.out.println("wrote " + markdown);
    }

    /** {@code text} with the section between the markers replaced by {@code section} (appended if absent). */
    static String withSection(String text, String section) {
        int start = text.indexOf(START);
        int end = text.indexOf(END);
        String block = START + "\n" + section + END + "\n";
        if (start < 0 || end < start) {
            return text + (text.endsWith("\n") || text.isEmpty() ? "" : "\n") + "\n" + block;
        }
        return text.substring(0, start) + block + text.substring(end + END.length()).replaceFirst("^\n", "");
    }

    /** The section of an existing {@code BENCHMARKS.md} between the markers, with them, or "". */
    static String section(String text) {
        int start = text.indexOf(START);
        int end = text.indexOf(END);
        return start < 0 || end < start ? "" : text.substring(start, end + END.length()) + "\n";
    }

    /** One way of appending a pair, measured through the proxy. */
    private record Pattern(String label, long maxLength, Factory factory) {}

    @FunctionalInterface
    private interface Factory {
        WritePattern.Writer open(MongoClient client, String database);
    }

    private static List<Pattern> patterns() {
        return List.of(
                new Pattern(WritePattern.LIBRARY.label(), Long.MAX_VALUE, WritePattern.LIBRARY::open),
                new Pattern("counter $inc, then an insert (OpenAI Agents)", Long.MAX_VALUE, CounterThenInsert::new),
                new Pattern(WritePattern.INSERT_PER_MESSAGE.label(), Long.MAX_VALUE, WritePattern.INSERT_PER_MESSAGE::open),
                new Pattern(WritePattern.SEED_FIX.label(), 40_000, WritePattern.SEED_FIX::open),
                new Pattern(WritePattern.READ_ALL_REPLACE.label(), 40_000, WritePattern.READ_ALL_REPLACE::open),
                new Pattern(WritePattern.INSERT_ONE_FLOOR.label(), Long.MAX_VALUE, WritePattern.INSERT_ONE_FLOOR::open));
    }

    static String measure(boolean warmUp) throws Exception {
        int[] lengths = warmUp ? new int[] {100} : LENGTHS;
        int windowLength = warmUp ? 100 : 100_000;
        StringBuilder md = new StringBuilder();
        md.append("## Over a network: a fixed delay each way\n\n")
                .append("Generated by `NetworkLatency` (do not edit by hand). Command:\n\n```\n").append(COMMAND).append("\n```\n\n")
                .append("Every pattern runs through a TCP proxy that delays each byte by a fixed time in each direction, ")
                .append("on the embedded server, side by side in one run. A figure is the median time of the operation and, ")
                .append("in brackets, that time in round trips: divided by the median time of a `ping` through the same proxy. ")
                .append("At 2 ms the round trips dominate, as on a real cluster; at 0.5 ms the embedded server's own ")
                .append("time on this shared machine is still a large share of a command (more for a findAndModify than ")
                .append("for an insert). Medians, because the machine's pauses swamp means; a pattern's moves and other ")
                .append("occasional commands show in means, not here (the command counts are under \"On the wire\").\n\n");
        for (long delay : DELAYS_MICROS) {
            MongoServer server = EmbeddedServer.start();
            int port = server.getLocalAddress().getPort();
            try (DelayingProxy proxy = new DelayingProxy(port, delay);
                    MongoClient direct = MongoClients.create("mongodb://127.0.0.1:" + port);
                    MongoClient slow = MongoClients.create(proxy.connectionString())) {
                int rounds = warmUp ? 100 : delay >= 2_000 ? 100 : 200;
                for (int i = 0; i < 20; i++) {
                    slow.getDatabase("admin").runCommand(new Document("ping", 1));
                }
                double rtt = medianMicros(rounds, i -> slow.getDatabase("admin").runCommand(new Document("ping", 1)));
                md.append(String.format(Locale.ROOT, "### %.1f ms each way (a ping: %s)%n%n", delay / 1000.0, micros(rtt)));
                md.append("| append of a (user, assistant) pair | 100 messages | 100,000 messages |\n|---|---|---|\n");
                int db = 0;
                for (Pattern p : patterns()) {
                    md.append("| ").append(p.label());
                    for (int length : lengths) {
                        if (length > p.maxLength()) {
                            md.append(" | cannot reach (> 16 MB)");
                            continue;
                        }
                        String database = "d" + db++;
                        WritePattern.Writer filler = p.factory().open(direct, database);
                        WritePattern.Writer writer = p.factory().open(slow, database);
                        int sessions = length >= 100_000 ? 1 : 10;
                        for (int s = 0; s < sessions; s++) {
                            filler.prefill("s" + s, length);
                        }
                        for (int i = 0; i < 10; i++) {
                            writer.append("s" + (i % sessions)); // warm-up
                        }
                        double mean = medianMicros(rounds, i -> writer.append("s" + (i % sessions)));
                        md.append(" | ").append(micros(mean)).append(String.format(Locale.ROOT, " (%.2f)", mean / rtt));
                    }
                    md.append(" |\n");
                }
                md.append('\n');
                // the prompt window and a tool turn, with the library, their commands counted
                MongoConversationStore filler = MongoConversationStore.builder().client(direct).database("window").build();
                new WritePattern.LibraryWriter(filler).prefill("w", windowLength);
                AtomicLong commands = new AtomicLong();
                double window;
                double windowCommands;
                double turn;
                int turns = Math.max(10, rounds / 5);
                try (MongoClient counted = MongoClients.create(MongoClientSettings.builder()
                                .applyConnectionString(new ConnectionString(proxy.connectionString()))
                                .addCommandListener(new CommandListener() {
                                    @Override
                                    public void commandStarted(CommandStartedEvent event) {
                                        commands.incrementAndGet();
                                    }
                                }).build());
                        MongoConversationStore store = MongoConversationStore.builder().client(counted).database("window").build();
                        MongoConversationStore turnStore = MongoConversationStore.builder().client(counted).database("turns").build();
                        TurnService service = TurnService.builder(turnStore).provider(toolModel()).tools(new Lookup())
                                .replyTimeout(Duration.ofSeconds(10)).toolTimeout(Duration.ofSeconds(10)).build()) {
                    store.recentMessages("w", 20);
                    commands.set(0);
                    window = medianMicros(rounds, i -> store.recentMessages("w", 20));
                    windowCommands = commands.get() / (double) rounds;
                    service.respond("warm", "en", "look it up");
                    commands.set(0);
                    turn = medianMicros(turns, i -> service.respond("t" + i, "en", "look it up"));
                }
                md.append("| with conversation-store | median | round trips | commands (mean) |\n|---|---|---|---|\n");
                md.append("| the prompt window (last 20 of ").append(String.format(Locale.ROOT, "%,d", windowLength)).append(" messages) | ").append(micros(window))
                        .append(String.format(Locale.ROOT, " | %.2f | %.1f |%n", window / rtt, windowCommands));
                md.append("| a tool turn (user message, tool call, result, reply) | ").append(micros(turn))
                        .append(String.format(Locale.ROOT, " | %.2f | %.1f |%n%n", turn / rtt, commands.get() / (double) turns));
            } finally {
                server.shutdownNow();
            }
        }
        return md.toString();
    }

    /** A model that asks for one tool call, then answers. */
    private static ScriptedReplyProvider toolModel() {
        return ScriptedReplyProvider.of(request -> request.steps().isEmpty()
                ? Reply.of(new Part.ToolCall("call-1", "lookup", "{\"q\":\"ir\"}"))
                : Reply.of("done"));
    }

    private static final class Lookup implements Tool {
        @Override
        public ToolSpec spec() {
            return new ToolSpec("lookup", "Looks a word up.", "{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}");
        }

        @Override
        public ToolOutput run(ToolInvocation invocation) {
            return ToolOutput.text("found");
        }
    }

    /** The OpenAI Agents SDK's pattern: a per-session counter bumped with $inc, then one insert of the pair. */
    private static final class CounterThenInsert implements WritePattern.Writer {
        private final MongoCollection<Document> counters;
        private final MongoCollection<Document> messages;

        CounterThenInsert(MongoClient client, String database) {
            counters = client.getDatabase(database).getCollection("agentSessions");
            messages = client.getDatabase(database).getCollection("agentMessages");
        }

        @Override
        public void prefill(String sessionId, int length) {
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < length; i += 2) {
                docs.add(pair(sessionId, i / 2));
                if (docs.size() == 1000) {
                    messages.insertMany(docs);
                    docs.clear();
                }
            }
            if (!docs.isEmpty()) {
                messages.insertMany(docs);
            }
            counters.insertOne(new Document("_id", sessionId).append("seq", (long) length / 2));
        }

        private static Document pair(String sessionId, long seq) {
            return new Document("sessionId", sessionId).append("seq", seq)
                    .append("messages", List.of(WritePattern.messageDoc("user"), WritePattern.messageDoc("assistant")));
        }

        @Override
        public void append(String sessionId) {
            Document counter = counters.findOneAndUpdate(new Document("_id", sessionId), new Document("$inc", new Document("seq", 1L)),
                    new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
            messages.insertOne(pair(sessionId, counter.getLong("seq")));
        }

        @Override
        public List<?> readLast(String sessionId, int n) {
            return List.of();
        }
    }

    /** The median time of {@code rounds} runs of {@code op}, in microseconds (robust to a busy machine's pauses). */
    private static double medianMicros(int rounds, Consumer<Integer> op) {
        long[] nanos = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            op.accept(i);
            nanos[i] = System.nanoTime() - t0;
        }
        java.util.Arrays.sort(nanos);
        return nanos[rounds / 2] / 1e3;
    }

    private static String micros(double us) {
        return us >= 1000 ? String.format(Locale.ROOT, "%.2f ms", us / 1000) : String.format(Locale.ROOT, "%.0f µs", us);
    }
}
