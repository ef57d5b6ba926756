package io.github.conversationstore.examples;

import com.mongodb.ConnectionString;
import com.mongodb.ErrorCategory;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.conversationstore.Compaction;
import io.github.conversationstore.ContextWindow;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.ReplyFailedException;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.TurnResult;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.observability.MicrometerStoreListener;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.TokenCounter;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolException;
import io.github.conversationstore.spi.ToolOutput;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.bson.Document;

/**
 * The main job: on an embedded MongoDB-compatible server, replays the original failure (rapid
 * messages through check-then-act code), runs the same load through conversation-store, holds a
 * short tutor exchange, streams a reply to a follower (counting what its draft cost), and prints
 * the stored conversation and a summary. Offline unless
 * {@code ANTHROPIC_API_KEY} is set.
 */
public final class Demo {
    static final int USERS = 8;
    static final int PAIRS_PER_USER = 6;
    static final int SESSIONS = 4;
    static final List<String> TUTOR_LINES = List.of("hola, me llamo Ana", "Hoy fui al mercado con mi hermana.",
            "me gusta mucho la paella");

    /** What a run found. */
    record Summary(int sent, int naiveDuplicateKeyErrors, int naiveOtherErrors, long naiveStored,
            int libraryErrors, long libraryStored, boolean libraryInOrder, int tutorTurns, List<String> toolKeys,
            List<String> toolTurnIds, Metered metered, Compacted compacted, Streamed streamed) {}

    /**
     * What the streaming step shows: the pieces a follower saw, the stored reply, and what the
     * draft cost: its writes (counted on the wire), how long the turn took, and the bound of one
     * write per draft interval plus two.
     */
    record Streamed(List<String> followed, String reply, int draftWrites, long turnMillis, long bound) {}

    /** The streaming step's session, and the offline tutor's delay before each word there. */
    static final String STREAM_SESSION = "streamed-practice";
    static final Duration WORD_DELAY = Duration.ofMillis(80);
    static final Duration DRAFT_INTERVAL = Duration.ofMillis(250);

    /**
     * What the compaction step shows: the messages stored (all still readable), the summaries'
     * ranges, and the window the next turn sends: its tokens within the budget.
     */
    record Compacted(long messages, long readable, List<String> ranges, int windowTokens, int budget,
            boolean windowStartsWithSummary) {}

    /** The compaction step's session, how long its history is, and its policy's trigger budget. */
    static final String LONG_SESSION = "long-practice";
    static final int LONG_HISTORY = 120;
    static final int BUDGET = 400;

    /** What the meters saw (the Micrometer binding of the store's and the turn services' events). */
    record Metered(long appends, double meanAppendMillis, long racesAbsorbed, long retries, long moves, long movedMessages,
            long turns, long providerCalls, double meanProviderMillis, long toolCalls) {
        static Metered of(MeterRegistry registry) {
            return new Metered(count(registry, MicrometerStoreListener.APPEND), meanMillis(registry, MicrometerStoreListener.APPEND),
                    (long) counted(registry, MicrometerStoreListener.RACES_ABSORBED),
                    (long) counted(registry, MicrometerStoreListener.RETRIES), count(registry, MicrometerStoreListener.MOVE),
                    (long) counted(registry, MicrometerStoreListener.MOVE_MESSAGES), count(registry, MicrometerStoreListener.TURN),
                    count(registry, MicrometerStoreListener.PROVIDER_CALL),
                    meanMillis(registry, MicrometerStoreListener.PROVIDER_CALL), count(registry, MicrometerStoreListener.TOOL_CALL));
        }

        private static long count(MeterRegistry registry, String timer) {
            return registry.find(timer).timers().stream().mapToLong(Timer::count).sum();
        }

        private static double meanMillis(MeterRegistry registry, String timer) {
            long count = count(registry, timer);
            double total = registry.find(timer).timers().stream().mapToDouble(t -> t.totalTime(TimeUnit.MILLISECONDS)).sum();
            return count == 0 ? 0 : total / count;
        }

        private static double counted(MeterRegistry registry, String counter) {
            return registry.find(counter).counters().stream().mapToDouble(c -> c.count()).sum();
        }

        void print(PrintStream out) {
            out.println("6. What the meters saw (Micrometer, conversation.store.*):");
            out.println("   | meter                         | count | detail                 |");
            out.println("   |-------------------------------|-------|------------------------|");
            out.printf("   | appends                       | %5d | mean %8.2f ms       |%n", appends, meanAppendMillis);
            out.printf("   | races absorbed (E11000)       | %5d |                        |%n", racesAbsorbed);
            out.printf("   | retries                       | %5d |                        |%n", retries);
            out.printf("   | moves to the archive          | %5d | %6d messages        |%n", moves, movedMessages);
            out.printf("   | turns                         | %5d |                        |%n", turns);
            out.printf("   | provider calls                | %5d | mean %8.2f ms       |%n", providerCalls, meanProviderMillis);
            out.printf("   | tool calls                    | %5d |                        |%n", toolCalls);
        }
    }

    /** The tool-using turn's id, and the student's request that makes the tutor use its tool. */
    static final String TOOL_TURN = "turn-conjugate-ir";
    static final String TOOL_LINE = "¿Puedes conjugar ir?";

    private Demo() {}

    public static void main(String[] args) {
        try {
            ReplyProvider tutor = Providers.fromEnvironment();
            Summary summary = run(System.out, tutor);
            System.exit(summary.libraryErrors() == 0 && summary.libraryStored() == summary.sent() ? 0 : 1);
        } catch (RuntimeException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }

    static Summary run(PrintStream out, ReplyProvider tutor) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MicrometerStoreListener meters = MicrometerStoreListener.create(registry);
        try (EmbeddedServer server = EmbeddedServer.inMemory();
                MongoClient client = MongoClients.create(server.connectionString())) {
            out.println("conversation-store demo: embedded MongoDB-compatible server at " + server.connectionString());
            out.println();

            int sent = USERS * PAIRS_PER_USER * 2;
            out.printf("1. The original code: %d users send %d (message, reply) pairs each to %d new sessions, "
                    + "check-then-act%n", USERS, PAIRS_PER_USER, SESSIONS);
            MongoCollection<Document> naive = client.getDatabase("demo").getCollection("naive");
            naive.createIndex(Indexes.ascending("sessionId"), new IndexOptions().unique(true));
            CyclicBarrier firstMessages = new CyclicBarrier(USERS);
            NaiveConversationWriter writer = new NaiveConversationWriter(naive, () -> await(firstMessages));
            AtomicInteger duplicateKey = new AtomicInteger();
            AtomicInteger otherErrors = new AtomicInteger();
            load((session, user, bot) -> {
                try {
                    writer.append(session, "es", user, bot);
                } catch (MongoWriteException e) {
                    (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY ? duplicateKey : otherErrors).incrementAndGet();
                }
            });
            long naiveStored = 0;
            for (Document d : naive.find()) {
                naiveStored += d.getList("messages", Document.class).size();
            }
            out.printf("   E11000 duplicate key errors: %d; messages stored: %d of %d (%d lost)%n%n",
                    duplicateKey.get(), naiveStored, sent, sent - naiveStored);

            out.println("2. The same load through conversation-store");
            AtomicInteger libraryErrors = new AtomicInteger();
            long libraryStored = 0;
            boolean inOrder = true;
            // small heads (8 messages, the default is 128), so that moves to the archive show in the meters
            try (ConversationStore store = MongoConversationStore.builder().client(client).database("demo")
                    .maxHeadMessages(8).listener(meters).build()) {
                load((session, user, bot) -> {
                    try {
                        store.appendMessages(session, "es", List.of(Message.user(user), Message.assistant(bot)));
                    } catch (RuntimeException e) {
                        libraryErrors.incrementAndGet();
                    }
                });
                for (int s = 0; s < SESSIONS; s++) {
                    List<StoredMessage> stored = store.readMessages(session(s), 0, 1000);
                    libraryStored += stored.size();
                    for (int i = 0; i < stored.size(); i++) {
                        inOrder &= stored.get(i).sequence() == i
                                && (i % 2 == 0 || stored.get(i).text().equals(stored.get(i - 1).text().replace("user", "bot")));
                    }
                }
                out.printf("   errors: %d; messages stored: %d of %d, each once, pairs contiguous, sequence numbers"
                        + " dense: %s%n%n", libraryErrors.get(), libraryStored, sent, inOrder ? "yes" : "NO");

                out.println("3. A short tutor exchange (Spanish) with " + Providers.describe(tutor));
                int turns = 0;
                try (TurnService service = TurnService.builder(store).provider(tutor).listener(meters)
                        .replyTimeout(Duration.ofSeconds(60)).build()) {
                    for (String line : TUTOR_LINES) {
                        TurnResult turn = service.respond("tutor-demo", "es", line);
                        turns++;
                        out.println("   student: " + turn.userMessage().text());
                        out.println("   tutor:   " + turn.reply().text());
                        turn.reply().message().attribute(TutorAttributes.GRAMMAR_SUGGESTION).ifPresent(g -> out.println("            grammar: " + g));
                        turn.reply().message().attribute(TutorAttributes.TRANSLATION).ifPresent(t -> out.println("            English: " + t));
                    }
                }
                out.println();
                out.println("4. A tool-using turn, interrupted after the tool ran and resumed by its turn id in another"
                        + " process");
                List<String> toolKeys = new CopyOnWriteArrayList<>();
                List<String> toolTurnIds = toolTurn(out, store, server.connectionString(), tutor, toolKeys, meters);
                out.println();
                out.println("5. The stored conversation 'tutor-demo':");
                for (StoredMessage m : store.readMessages("tutor-demo", 0, 100)) {
                    out.printf("   #%d %-9s %s%n", m.sequence(), m.role().wireName(), m.text());
                }
                ConversationHeader header = store.findConversation("tutor-demo").orElseThrow();
                out.printf("   header: language %s, %d messages, created %s, updated %s%n", header.language(),
                        header.messageCount(), header.createdAt(), header.updatedAt());
                out.println();
                Metered metered = Metered.of(registry);
                metered.print(out);
                out.println();
                Compacted compacted = compaction(out, store, tutor);
                out.println();
                Streamed streamed = streamed(out, server.connectionString(), tutor);
                out.println();
                Summary summary = new Summary(sent, duplicateKey.get(), otherErrors.get(), naiveStored,
                        libraryErrors.get(), libraryStored, inOrder, turns, List.copyOf(toolKeys), toolTurnIds, metered,
                        compacted, streamed);
                out.printf("Summary: original code: %d E11000 errors, %d of %d messages lost."
                        + " conversation-store: %d errors, %d of %d messages stored once and in order."
                        + " Tutor: %d turns stored; the tool turn holds each of its %d steps once, its tool ran %d"
                        + " time(s) under one idempotency key. Compaction: %d messages kept, %d summaries, a window of"
                        + " %d of %d tokens. Streaming: a reply in %d pieces for %d draft writes.%n",
                        summary.naiveDuplicateKeyErrors(), sent - naiveStored, sent,
                        summary.libraryErrors(), libraryStored, sent, turns, toolTurnIds.size(),
                        toolKeys.size(), compacted.readable(), compacted.ranges().size(), compacted.windowTokens(),
                        compacted.budget(), streamed.followed().size(), streamed.draftWrites());
                return summary;
            }
        }
    }

    /**
     * A long practice session compacted: {@value #LONG_HISTORY} earlier messages, then three turns
     * through a turn service with compaction ({@value #BUDGET} tokens): the first turn summarizes
     * the oldest messages (the tutor writes the summary), the window of the next turns is the
     * summary and the newest messages, and every message is still stored.
     */
    private static Compacted compaction(PrintStream out, ConversationStore store, ReplyProvider tutor) {
        out.println("7. A long conversation compacted: " + LONG_HISTORY + " earlier messages, then turns with a"
                + " window of at most " + BUDGET + " tokens");
        for (int i = 0; i < LONG_HISTORY; i += 2) {
            store.appendMessages(LONG_SESSION, "es", List.of(Message.user("Frase de práctica número " + (i / 2)
                    + ": ayer fui al mercado y compré fruta."), Message.assistant("¡Muy bien! La frase " + (i / 2)
                    + " es correcta. ¿Qué más compraste?")));
        }
        TokenCounter counter = Providers.tokenCounter(tutor);
        Compaction policy = Compaction.builder().triggerTokens(BUDGET).keepTokens(150).summaryTokens(200)
                .tokenCounter(counter).build();
        try (TurnService service = TurnService.builder(store).provider(tutor).compaction(policy)
                .replyTimeout(Duration.ofSeconds(60)).build()) {
            for (String line : List.of("Hoy voy a la playa.", "¿Qué me recomiendas leer?", "gracias")) {
                service.respond(LONG_SESSION, "es", line);
            }
        }
        List<String> ranges = new ArrayList<>();
        for (io.github.conversationstore.Summary s : store.summaries(LONG_SESSION)) {
            ranges.add("[" + s.fromSequence() + ", " + s.toSequence() + ")");
            out.printf("   summary of messages [%d, %d), %d tokens: %s%n", s.fromSequence(), s.toSequence(),
                    s.tokenCount(), s.message().text());
        }
        ContextWindow window = store.contextWindow(LONG_SESSION, BUDGET, counter);
        out.printf("   the next turn's window: %d of %d tokens%n", window.tokens(), window.budget());
        window.summary().ifPresent(s -> out.printf("     %4d tokens  the summary of [%d, %d)%n", s.tokenCount(),
                s.fromSequence(), s.toSequence()));
        for (ContextWindow.Counted c : window.messages()) {
            out.printf("     %4d tokens  #%d %-9s %s%n", c.tokens(), c.message().sequence(), c.message().role().wireName(),
                    c.message().text());
        }
        long messages = store.findConversation(LONG_SESSION).orElseThrow().messageCount();
        long readable = 0;
        for (long from = 0; ; ) {
            List<StoredMessage> page = store.readMessages(LONG_SESSION, from, 100);
            readable += page.size();
            if (page.size() < 100) {
                break;
            }
            from += page.size();
        }
        out.printf("   the whole history is still there: readMessages returns %d of %d messages%n", readable, messages);
        return new Compacted(messages, readable, List.copyOf(ranges), window.tokens(), window.budget(),
                window.summary().isPresent());
    }

    /**
     * A streamed reply: the offline tutor writes word by word ({@link #WORD_DELAY} a word; Claude
     * streams on its own), the turn stores the text so far as its draft at most every
     * {@link #DRAFT_INTERVAL}, and a follower on another thread (it could be another process: it
     * reads the draft from the store) shows the reply as it grows. The draft's writes are counted
     * with a driver {@code CommandListener} on a client of its own.
     */
    private static Streamed streamed(PrintStream out, String connectionString, ReplyProvider tutor) {
        ReplyProvider streaming = tutor instanceof OfflineTutor ? new OfflineTutor(WORD_DELAY) : tutor;
        out.println("8. A streamed reply: the tutor writes word by word; the turn stores the text so far as its draft"
                + " (at most every " + DRAFT_INTERVAL.toMillis() + " ms), and a follower in another thread shows it");
        AtomicInteger draftWrites = new AtomicInteger();
        CommandListener counter = new CommandListener() {
            @Override
            public void commandStarted(CommandStartedEvent event) {
                String name = event.getCommandName();
                if ((name.equals("findAndModify") || name.equals("update") || name.equals("insert"))
                        && event.getCommand().getString(name).getValue().endsWith("_drafts")) {
                    draftWrites.incrementAndGet();
                }
            }
        };
        try (MongoClient counted = MongoClients.create(MongoClientSettings.builder()
                        .applyConnectionString(new ConnectionString(connectionString)).addCommandListener(counter).build());
                ConversationStore store = MongoConversationStore.builder().client(counted).database("demo").build();
                TurnService service = TurnService.builder(store).provider(streaming).draftInterval(DRAFT_INTERVAL)
                        .replyTimeout(Duration.ofSeconds(60)).build()) {
            String turnId = "streamed-turn-1";
            List<String> followed = new CopyOnWriteArrayList<>();
            ExecutorService follower = Executors.newSingleThreadExecutor();
            try {
                Future<?> following = follower.submit(() -> service.followTurn(STREAM_SESSION, turnId, 0, followed::add,
                        Duration.ofSeconds(60)));
                long start = System.nanoTime();
                TurnResult turn = service.respond(new io.github.conversationstore.TurnRequest(STREAM_SESSION, "es",
                        "hola, ¿qué tal?", turnId));
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                following.get(60, TimeUnit.SECONDS);
                long bound = (long) Math.ceil((double) millis / DRAFT_INTERVAL.toMillis()) + 2;
                out.println("   student:  " + turn.userMessage().text());
                out.println("   follower: " + String.join(" | ", followed.stream().map(p -> "«" + p + "»").toList()));
                out.println("   stored:   " + turn.reply().text());
                out.printf("   draft writes: %d for a turn of %d ms (at most one per %d ms plus two: %d)%n",
                        draftWrites.get(), millis, DRAFT_INTERVAL.toMillis(), bound);
                return new Streamed(List.copyOf(followed), turn.reply().text(), draftWrites.get(), millis, bound);
            } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
                throw new IllegalStateException("the follower failed: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } finally {
                follower.shutdownNow();
            }
        }
    }

    /**
     * Runs {@value #TOOL_LINE} as a turn with the conjugation tool. The first process "stops" right
     * after the tool ran (the tool reports a lost connection, and the turn gives up after one
     * attempt); a second process, with its own client, runs the same turn id: the stored call is not
     * asked for again, the tool runs again with the same idempotency key, and the conversation holds
     * each step once. Returns the ids of the turn's stored messages.
     */
    private static List<String> toolTurn(PrintStream out, ConversationStore store, String connectionString,
            ReplyProvider tutor, List<String> keys, MicrometerStoreListener meters) {
        ConjugationTool conjugation = new ConjugationTool();
        Tool interrupted = Tool.of(conjugation.spec(), call -> {
            keys.add(call.idempotencyKey());
            ToolOutput output = conjugation.run(call);
            out.println("   tool '" + call.name() + "' ran " + call.arguments() + ", idempotency key " + call.idempotencyKey());
            if (keys.size() == 1) {
                throw new ToolException("the process stopped after the tool ran (simulated)", true, null);
            }
            return output;
        });
        // the library logs the tool's failure (a warning, as it should): told here as a step of the story
        LibraryLogInStory log = LibraryLogInStory.to(out);
        try (TurnService first = TurnService.builder(store).provider(tutor).tools(interrupted).maxToolAttempts(1)
                .listener(meters).replyTimeout(Duration.ofSeconds(60)).build()) {
            TurnResult turn = first.respond("tutor-tools", "es", TOOL_LINE, TOOL_TURN);
            out.println("   the model answered without the tool: " + turn.reply().text());
        } catch (ReplyFailedException e) {
            out.println("   first process: turn " + TOOL_TURN + " failed (retryable: " + e.isRetryable() + "); stored so far: "
                    + store.readMessages("tutor-tools", 0, 100).stream().map(m -> m.message().id()).toList());
        } finally {
            log.close();
        }
        try (MongoClient otherClient = MongoClients.create(connectionString);
                ConversationStore other = MongoConversationStore.builder().client(otherClient).database("demo")
                        .maxHeadMessages(8).listener(meters).build();
                TurnService second = TurnService.builder(other).provider(tutor).tools(interrupted).listener(meters)
                        .replyTimeout(Duration.ofSeconds(60)).build()) {
            TurnResult turn = second.respond("tutor-tools", "es", TOOL_LINE, TOOL_TURN);
            out.println("   second process, same turn id: tutor: " + turn.reply().text());
            out.println("   stored (each step once):");
            List<String> ids = new ArrayList<>();
            for (StoredMessage m : other.readMessages("tutor-tools", 0, 100)) {
                ids.add(m.message().id());
                out.printf("     #%d %-9s %-22s %s%n", m.sequence(), m.role().wireName(), m.message().id(), describe(m.message()));
            }
            return ids;
        }
    }

    /**
     * While open, tells what the library logs as lines of the story rather than as log lines in
     * its middle. The library logs through {@link System.Logger}, which is the JDK's logging
     * ({@code java.util.logging}) unless an application routes it elsewhere; this takes the records
     * of its logger {@code io.github.conversationstore} away from the console handlers and prints
     * them to {@code out}, and gives them back on close. With the library's log routed elsewhere
     * (to SLF4J, say), it changes nothing: the records go where the application sends them.
     */
    static final class LibraryLogInStory extends Handler {
        private final PrintStream out;
        private final Logger logger = Logger.getLogger("io.github.conversationstore"); // held: its settings last
        private final boolean usedParentHandlers;

        private LibraryLogInStory(PrintStream out) {
            this.out = out;
            this.usedParentHandlers = logger.getUseParentHandlers();
        }

        static LibraryLogInStory to(PrintStream out) {
            LibraryLogInStory handler = new LibraryLogInStory(out);
            handler.logger.addHandler(handler);
            handler.logger.setUseParentHandlers(false);
            return handler;
        }

        @Override
        public void publish(LogRecord record) {
            if (record == null || !isLoggable(record)) {
                return;
            }
            String what = record.getLevel().intValue() >= Level.SEVERE.intValue() ? "an error"
                    : record.getLevel().intValue() >= Level.WARNING.intValue() ? "a warning" : "a note";
            out.println("   the library logs " + what + ", as it should: " + new SimpleFormatter().formatMessage(record));
        }

        @Override
        public void flush() {
            out.flush();
        }

        @Override
        public void close() {
            logger.removeHandler(this);
            logger.setUseParentHandlers(usedParentHandlers);
        }
    }

    /** A message's parts in one line: text, tool calls with their arguments, tool results. */
    private static String describe(Message message) {
        List<String> parts = new ArrayList<>();
        for (Part part : message.parts()) {
            if (part instanceof Part.Text) {
                parts.add(((Part.Text) part).text());
            } else if (part instanceof Part.ToolCall) {
                parts.add("[call " + ((Part.ToolCall) part).name() + " " + ((Part.ToolCall) part).arguments() + "]");
            } else if (part instanceof Part.ToolResult) {
                String content = ((Part.ToolResult) part).content();
                parts.add("[result " + (content.length() > 60 ? content.substring(0, 60) + "..." : content) + "]");
            } else {
                parts.add("[" + part.type() + "]");
            }
        }
        return String.join(" ", parts);
    }

    interface PairSender {
        void send(String session, String user, String bot);
    }

    /** USERS threads, each sending PAIRS_PER_USER pairs to the sessions in turn, all starting together. */
    private static void load(PairSender sender) {
        ExecutorService pool = Executors.newFixedThreadPool(USERS);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int u = 0; u < USERS; u++) {
                int user = u;
                futures.add(pool.submit(() -> {
                    for (int p = 0; p < PAIRS_PER_USER; p++) {
                        sender.send(session((user + p) % SESSIONS), "user " + user + " message " + p,
                                "bot " + user + " message " + p);
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("the load did not finish: " + e, e);
        } finally {
            pool.shutdownNow();
        }
    }

    static String session(int i) {
        return "session-" + i;
    }

    /** Lets every user that found its session missing insert at the same moment, as quick typing does. */
    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (BrokenBarrierException | TimeoutException e) {
            // fewer users looked at once: they race all the same
        }
    }
}
