package io.github.conversationstore;

import io.github.conversationstore.testing.CommandHooks;
import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.testing.SteppableClock;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import io.github.conversationstore.testing.FaultInjectingProxy.Fault;
import io.github.conversationstore.testing.FaultInjectingProxy.RandomFaults;
import io.github.conversationstore.History.Append;
import io.github.conversationstore.History.Deleted;
import io.github.conversationstore.History.Effect;
import io.github.conversationstore.History.Header;
import io.github.conversationstore.History.Kind;
import io.github.conversationstore.History.Op;
import io.github.conversationstore.History.Outcome;
import io.github.conversationstore.History.Read;
import io.github.conversationstore.History.Seen;
import io.github.conversationstore.HistoryChecker.Violation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.bson.Document;

/**
 * One run of the randomized history: three stores on one embedded server (direct, through a
 * faulty proxy, with a skewed clock), worker threads issuing seeded random operations on a few
 * sessions, then quiescence (faults off, writers stopped), final reads, and the checker's verdict.
 */
final class HistoryRun {
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final String LANGUAGE = "en";
    private static final int PAGE_LIMIT = 6;
    private static final int REPEAT_POOL = 100;
    /**
     * Repeats are made only while fewer than this many appends (attempts, which bound the applied
     * ones) were made to the session since: the stores recognize repeats within their documented
     * window of 2,048 appends, and the checker holds every re-application beyond it a violation.
     */
    private static final long REPEAT_WITHIN_APPENDS = 1_800;
    /** Append attempts per session, by every worker: turns count two. */
    private final Map<String, AtomicLong> appendsBySession = new ConcurrentHashMap<>();

    /**
     * What a run does.
     *
     * @param seed seeds every random choice: operations, faults, clock skew
     * @param duration how long the workers issue operations (at most)
     * @param workers how many worker threads
     * @param sessions how many sessions the workers share
     * @param opsPerWorker how many operations each worker issues (at most)
     * @param backend what the operations run on
     */
    record Config(long seed, Duration duration, int workers, int sessions, int opsPerWorker, Backend backend) {
        Config {
            if (workers < 1 || sessions < 1 || opsPerWorker < 1) {
                throw new IllegalArgumentException("workers, sessions and opsPerWorker must be positive");
            }
        }

        Config withDuration(Duration d) {
            return new Config(seed, d, workers, sessions, opsPerWorker, backend);
        }

        Config withOpsPerWorker(int ops) {
            return new Config(seed, duration, workers, sessions, ops, backend);
        }

        Config withWorkers(int n) {
            return new Config(seed, duration, n, sessions, opsPerWorker, backend);
        }

        Config withSessions(int n) {
            return new Config(seed, duration, workers, n, opsPerWorker, backend);
        }

        /** The system properties that repeat this configuration. */
        String properties() {
            return "-Dhistory.seed=" + seed + " -Dhistory.workers=" + workers + " -Dhistory.sessions=" + sessions
                    + (opsPerWorker == Integer.MAX_VALUE ? "" : " -Dhistory.ops=" + opsPerWorker);
        }
    }

    /** What the operations run on. */
    enum Backend {
        /** Three MongoDB stores on the embedded server: direct, through the faulty proxy, with a skewed clock. */
        EMBEDDED,
        /** {@link #EMBEDDED} with encryption on: every store seals with the same key provider, each caching its own keys. */
        EMBEDDED_ENCRYPTED,
        /** The same on the original backend's collection, with the old backend writing too. */
        ORIGINAL_BACKEND,
        /**
         * {@link #EMBEDDED} under high contention: appends are most of the operations, and an
         * operation that fails with {@link ConcurrentAppendException} (a race reported to the
         * caller) is a violation: a contended append must keep trying until its deadline. The
         * stores try an operation 2 times (not 8) after transient failures, so an append that gives
         * up on races after a bounded number of attempts shows within seconds.
         */
        CONTENDED,
        /**
         * The in-memory store, the reference implementation, with an unbounded dedup window, used
         * directly and through a wrapper that fails calls before or after they took effect:
         * calibrates the checker (it must find nothing).
         */
        IN_MEMORY
    }

    /**
     * What a run did and what the checker found.
     *
     * @param config the configuration
     * @param history every operation
     * @param faults the faults injected, by kind
     * @param skew the skewed store's clock offset
     * @param violations what the checker found
     * @param opsPerWorker the most operations one worker issued
     */
    record Result(Config config, History history, Map<Fault, Long> faults, Duration skew, List<Violation> violations,
            int opsPerWorker) {

        boolean failed() {
            return !violations.isEmpty();
        }

        /** One line: operations by kind, faults by kind, violations. */
        String summary() {
            Map<Kind, Long> ops = history.countByKind();
            long total = ops.values().stream().mapToLong(Long::longValue).sum();
            Map<Fault, Long> injected = new EnumMap<>(Fault.class);
            faults.forEach((kind, n) -> {
                if (n > 0) {
                    injected.put(kind, n);
                }
            });
            return "history: " + config.backend() + " seed=" + config.seed() + " workers=" + config.workers() + " sessions=" + config.sessions()
                    + " skew=" + skew.toMillis() + "ms operations=" + total + " " + ops + " faults="
                    + injected.values().stream().mapToLong(Long::longValue).sum() + " " + injected
                    + " invariant violations: " + violations.size();
        }
    }

    /** A store and its turn service. */
    private record Target(String name, ConversationStore store, TurnService turns) {
    }

    /**
     * The store of {@link Kind#ERASE_RETRY}: behind a proxy of its own that drops the reply of its
     * next {@code findAndModify} after applying it, on a client whose hooks run a read and a delete
     * between the lost reply and the store's retry. Used by one worker at a time.
     */
    private record Eraser(Target target, FaultInjectingProxy proxy, CommandHooks hooks) {
    }

    /** Thrown by an operation that certainly wrote nothing. */
    private static final class NotApplied extends Exception {
        private static final long serialVersionUID = 1L;

        NotApplied(String message) {
            super(message, null, false, false);
        }
    }

    private final Config config;
    private final History history = new History();
    private final List<Target> targets = new ArrayList<>();
    /** Appends across a delete: a store behind its own proxy, whose client runs hooks; null in memory. */
    private Eraser eraser;
    /** The skewed store's JVM clock, stepped by up to 80 s now and then, after its measurements; null in memory. */
    private SteppableClock stepped;
    private final MongoCollection<Document> heads;
    private volatile boolean stopping;

    private HistoryRun(Config config, MongoCollection<Document> heads) {
        this.config = config;
        this.heads = heads;
    }

    /**
     * Runs a configuration: on the embedded server on {@code port}, reached directly through
     * {@code direct}, or in memory.
     */
    static Result run(Config config, MongoClient direct, int port) throws Exception {
        if (config.backend() == Backend.IN_MEMORY) {
            HistoryRun run = new HistoryRun(config, null);
            try {
                ConversationStore memory = InMemoryConversationStore.builder().appendIdWindow(1 << 20).build();
                run.targets.add(target("memory", memory));
                Map<Fault, Long> faults = new EnumMap<>(Fault.class);
                run.targets.add(target("flaky", flaky(memory, new Random(config.seed()), faults)));
                int opsPerWorker = run.runWorkers(() -> { });
                Map<Fault, Long> injected;
                synchronized (faults) {
                    injected = new EnumMap<>(faults);
                }
                return run.finish(injected, Duration.ZERO, opsPerWorker);
            } finally {
                run.close();
            }
        }
        String database = "history" + RUNS.incrementAndGet();
        Random random = new Random(config.seed());
        Duration skew = Duration.ofMillis((2_000 + random.nextInt(4_001)) * (random.nextBoolean() ? 1 : -1));
        HistoryRun run = new HistoryRun(config, direct.getDatabase(database).getCollection("conversations"));
        CommandHooks hooks = new CommandHooks();
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(port);
                MongoClient proxied = MongoClients.create(proxy.clientSettings(Duration.ofSeconds(2)));
                FaultInjectingProxy eraseProxy = new FaultInjectingProxy(port);
                MongoClient erasing = hooks.client(eraseProxy.connectionString())) {
            run.eraser = new Eraser(target("erasing", builder(config, database).client(erasing).createIndexes(false).build()),
                    eraseProxy, hooks);
            run.targets.add(target("direct", builder(config, database).client(direct).build()));
            run.targets.add(target("proxied", builder(config, database).client(proxied).maxAttempts(3)
                    .createIndexes(false).build()));
            run.stepped = new SteppableClock(skew);
            run.targets.add(target("skewed", builder(config, database).client(direct)
                    .clock(run.stepped).createIndexes(false).build()));
            proxy.startRandom(config.backend() == Backend.CONTENDED
                    // more lost replies and resets, shorter holds: failed attempts beside lost races
                    ? new RandomFaults(random.nextLong(), 0.03, 0.004, 0.03, 0.0002,
                            Duration.ofMillis(300), Duration.ofMillis(1_500), Duration.ofSeconds(1))
                    : new RandomFaults(random.nextLong(), 0.005, 0.008, 0.005, 0.0002,
                            Duration.ofMillis(1_500), Duration.ofMillis(4_000), Duration.ofSeconds(3)));
            int opsPerWorker = run.runWorkers(proxy::stopRandom);
            return run.finish(proxy.injectedByKind(), skew, opsPerWorker);
        } finally {
            run.close();
            direct.getDatabase(database).drop();
        }
    }

    /**
     * Wraps a store so that one call in 50 fails before it reaches the store and one in 50 after
     * it took effect, as lost requests and lost replies do, counted in {@code faults} (guarded by
     * itself); closing the wrapper closes nothing.
     */
    private static ConversationStore flaky(ConversationStore store, Random random, Map<Fault, Long> faults) {
        return (ConversationStore) Proxy.newProxyInstance(ConversationStore.class.getClassLoader(),
                new Class<?>[] {ConversationStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("close")) {
                        return null;
                    }
                    int draw;
                    synchronized (faults) {
                        draw = random.nextInt(50);
                        if (draw < 2) {
                            faults.merge(draw == 0 ? Fault.RESET_BEFORE_FORWARD : Fault.DROP_REPLY_AFTER_APPLY, 1L, Long::sum);
                        }
                    }
                    if (draw == 0) {
                        throw new ConversationStoreUnavailableException("injected: request lost", null);
                    }
                    Object result;
                    try {
                        result = method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (draw == 1) {
                        throw new ConversationStoreUnavailableException("injected: reply lost", null);
                    }
                    return result;
                });
    }

    private Result finish(Map<Fault, Long> faults, Duration skew, int opsPerWorker) {
        finalReads();
        return new Result(config, history, faults, skew, HistoryChecker.check(history), opsPerWorker);
    }

    private void close() {
        targets.forEach(t -> {
            t.turns().close();
            t.store().close();
        });
        if (eraser != null) {
            eraser.target().turns().close();
            eraser.target().store().close();
        }
    }

    private static MongoConversationStore.Builder builder(Config config, String database) {
        MongoConversationStore.Builder b = MongoConversationStore.builder().database(database)
                .maxHeadMessages(4).maxHeadBytes(600);
        if (config.backend() == Backend.CONTENDED) {
            b.maxAttempts(2); // few attempts: an append that gives up on lost races shows within seconds
        }
        if (config.backend() == Backend.EMBEDDED_ENCRYPTED) {
            b.encryption(TestKeys.provider());
        }
        return config.backend() == Backend.ORIGINAL_BACKEND ? b.forOriginalBackend() : b;
    }

    private static Target target(String name, ConversationStore store) {
        TurnService turns = TurnService.builder(store).provider(ScriptedReplyProvider.echo())
                .replyTimeout(Duration.ofSeconds(2)).leaseDuration(Duration.ofSeconds(3)).busyTimeout(Duration.ofSeconds(1))
                .build();
        return new Target(name, store, turns);
    }

    /**
     * Runs the workers until they are done or the duration is over; returns the most operations one
     * issued. A worker's own crash (not an operation's failure, which is recorded) is rethrown.
     */
    private int runWorkers(Runnable stopFaults) throws InterruptedException, ExecutionException {
        List<Worker> workers = new ArrayList<>();
        List<Future<?>> running = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(config.workers());
        try {
            for (int i = 0; i < config.workers(); i++) {
                Worker w = new Worker(i);
                workers.add(w);
                running.add(pool.submit(w));
            }
            pool.shutdown();
            pool.awaitTermination(config.duration().toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            stopping = true;
            stopFaults.run();
            pool.shutdown();
            if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
                pool.shutdownNow();
                throw new IllegalStateException("workers did not stop within 60 s of the deadline");
            }
        }
        for (Future<?> f : running) {
            f.get();
        }
        return workers.stream().mapToInt(w -> w.issued).max().orElse(0);
    }

    /** After quiescence: a sweep, then each session read whole, page by page, and its header. */
    private void finalReads() {
        history.markQuiescent();
        Target direct = targets.get(0);
        Recorder r = new Recorder("final");
        if (heads != null) {
            r.record("sweep", Kind.SWEEP, "*", direct, () -> sweep(direct));
        }
        for (int s = 0; s < config.sessions(); s++) {
            String session = "s" + s;
            r.record("recent-" + session, Kind.RECENT, session, direct,
                    () -> recent(direct, session, ConversationStore.MAX_READ_LIMIT));
            r.readPages("pages-" + session, session, direct, 0, Integer.MAX_VALUE);
            r.record("header-" + session, Kind.HEADER, session, direct, () -> header(direct, session));
        }
    }

    private static Effect sweep(Target t) {
        ((MongoConversationStore) t.store()).removeOrphanedArchives();
        return null;
    }

    private static Read recent(Target t, String session, int limit) {
        return new Read(-1, limit, seen(t.store().recentMessages(session, limit)));
    }

    private static Header header(Target t, String session) {
        return new Header(t.store().findConversation(session).map(ConversationHeader::messageCount).orElse(0L));
    }

    private static List<Seen> seen(List<StoredMessage> messages) {
        return messages.stream().map(m -> new Seen(m.sequence(), m.text())).collect(Collectors.toList());
    }

    private static boolean retryable(Exception e) {
        return e instanceof ConversationStoreException && ((ConversationStoreException) e).isRetryable();
    }

    /** Records operations into the history under one name prefix. */
    private class Recorder {
        private final String prefix;

        Recorder(String prefix) {
            this.prefix = prefix;
        }

        /** The name an operation is recorded under; also the stem of the texts and ids it writes. */
        String id(String name) {
            return prefix + "-" + name;
        }

        Op record(String name, Kind kind, String session, Target target, Callable<Effect> call) {
            return record(name, kind, session, target.name(), call, null);
        }

        /** Calls {@code call} between two ticks of the logical clock and records the outcome. */
        Op record(String name, Kind kind, String session, String store, Callable<Effect> call, Effect ifFailed) {
            long invoked = history.tick();
            Effect effect = ifFailed;
            Outcome outcome = Outcome.OK;
            String failure = null;
            boolean unexpected = false;
            try {
                effect = call.call();
            } catch (NotApplied e) {
                outcome = Outcome.NOT_APPLIED;
                failure = e.getMessage();
            } catch (Exception e) {
                outcome = Outcome.UNKNOWN;
                failure = e.getClass().getSimpleName() + ": " + e.getMessage();
                // an append id applied before an erasure: the caller learns it, nothing is written
                unexpected = !retryable(e) && !(e instanceof AppendErasedException)
                        || config.backend() == Backend.CONTENDED && e instanceof ConcurrentAppendException;
            }
            Op op = new Op(id(name), kind, session, store, invoked, history.tick(), outcome, failure, unexpected, effect);
            history.add(op);
            return op;
        }

        /** Reads pages of {@link #PAGE_LIMIT} or fewer messages from {@code from}, each page one operation. */
        void readPages(String name, String session, Target t, long from, int maxPages) {
            long next = from;
            for (int page = 0; page < maxPages; page++) {
                long pageFrom = next;
                Op op = record(name + "-p" + page, Kind.PAGE, session, t, () -> new Read(pageFrom, PAGE_LIMIT,
                        seen(t.store().readMessages(session, pageFrom, PAGE_LIMIT))));
                if (!op.ok() || ((Read) op.effect()).reachesEnd()) {
                    return;
                }
                next += PAGE_LIMIT;
            }
        }
    }

    /** Issues seeded random operations. */
    private final class Worker extends Recorder implements Runnable {
        private final int index;
        private final Random random;
        private final Deque<AppendRequest> repeatNow = new ArrayDeque<>();
        private final List<Remembered> repeatLater = new ArrayList<>();
        private final Deque<TurnRequest> turnsToRetry = new ArrayDeque<>();
        private final List<Kind> kinds = new ArrayList<>();
        private int issued;

        Worker(int index) {
            super("w" + index);
            this.index = index;
            this.random = new Random(config.seed() * 1_000_003 + index);
            weigh(Kind.APPEND, 34);
            weigh(Kind.RETRY, 10);
            weigh(Kind.TURN, 5);
            weigh(Kind.RECENT, 12);
            weigh(Kind.PAGE, 4);
            weigh(Kind.HEADER, 3);
            weigh(Kind.DELETE, 2);
            weigh(Kind.LEASE, 6);
            weigh(Kind.ERASE_RETRY, 2);
            if (heads != null) {
                weigh(Kind.EXPIRE, 1);
                weigh(Kind.SWEEP, 1);
            }
            if (config.backend() == Backend.CONTENDED) {
                // appends racing to create, fill and revive heads that deletes keep removing
                weigh(Kind.APPEND, 120);
                weigh(Kind.DELETE, 20);
                if (heads != null) {
                    weigh(Kind.EXPIRE, 10);
                }
            }
            if (config.backend() == Backend.ORIGINAL_BACKEND) {
                weigh(Kind.OLD_FIXED, 8);
                weigh(Kind.OLD_V1, 5);
            }
        }

        private void weigh(Kind kind, int weight) {
            for (int i = 0; i < weight; i++) {
                kinds.add(kind);
            }
        }

        @Override
        public void run() {
            while (!stopping && issued < config.opsPerWorker()) {
                step("op" + issued++);
            }
        }

        private void step(String name) {
            String session = "s" + random.nextInt(config.sessions());
            // only the first half of the sessions is erased: the others live long enough for their
            // appends to pass version 0.1's dedup window of 64 and for many moves to the archive
            String erasable = "s" + random.nextInt((config.sessions() + 1) / 2);
            Target t = targets.get(random.nextInt(targets.size()));
            if (!repeatNow.isEmpty()) {
                append(name, Kind.RETRY, t, repeatNow.poll());
                return;
            }
            switch (kinds.get(random.nextInt(kinds.size()))) {
                case APPEND -> newAppend(name, session, t);
                case RETRY -> repeatLater(name, t);
                case TURN -> turn(name, session, t);
                case RECENT -> record(name, Kind.RECENT, session, t, () -> recent(t, session, 1 + random.nextInt(8)));
                case PAGE -> readPages(name, session, t, random.nextBoolean() ? 0 : random.nextInt(24), 8);
                case HEADER -> record(name, Kind.HEADER, session, t, () -> header(t, session));
                case DELETE -> record(name, Kind.DELETE, erasable, t,
                        () -> new Deleted(t.store().deleteConversation(erasable)));
                case EXPIRE -> record(name, Kind.EXPIRE, erasable, "raw", () -> {
                    heads.deleteOne(new Document(HeadDocument.SESSION_ID, erasable));
                    return null;
                }, null);
                case SWEEP -> record(name, Kind.SWEEP, "*", t, () -> sweep(t));
                case LEASE -> record(name, Kind.LEASE, session, t, () -> {
                    lease(t, session);
                    return null;
                });
                case ERASE_RETRY -> appendAcrossDelete(name, erasable);
                case OLD_FIXED -> record(name, Kind.OLD_FIXED, session, "raw",
                        () -> oldFixedHandler(session, id(name)), oldAppend(id(name)));
                case OLD_V1 -> record(name, Kind.OLD_V1, session, "raw",
                        () -> oldFirstVersion(session, id(name)), oldAppend(id(name)));
            }
        }

        /**
         * A message the checker knows by its text; one in three also carries other parts (a tool
         * call and reasoning, or inline media) and metadata, so that moves handle messages of every
         * shape and size.
         */
        private Message message(String text, Role role) {
            if (random.nextInt(3) != 0) {
                return new Message(text, role, text, Instant.now(), Map.of());
            }
            List<Part> parts = role == Role.ASSISTANT
                    ? List.of(Part.Reasoning.of("why " + text, "sig"), Part.text(text), new Part.ToolCall(text, "tool", "{}"))
                    : List.of(Part.text(text), Part.Media.inline("image/png", new byte[random.nextInt(600)]));
            return new Message(text, role, parts, Instant.now(), Map.of(), Map.of("usage", Map.of("inputTokens", random.nextInt(1000)),
                    "model", "m", "score", random.nextDouble()));
        }

        /** 1 to 3 messages, two times in three under the caller's append id (which it may repeat). */
        private void newAppend(String name, String session, Target t) {
            List<Message> messages = new ArrayList<>();
            int size = 1 + random.nextInt(3);
            for (int i = 0; i < size; i++) {
                String text = id(name) + "-m" + i;
                messages.add(message(text, i % 2 == 0 ? Role.USER : Role.ASSISTANT));
            }
            boolean callerId = random.nextInt(3) != 0;
            AppendRequest request = callerId
                    ? AppendRequest.builder(session, LANGUAGE).appendId(id(name)).messages(messages).build()
                    : AppendRequest.of(session, LANGUAGE, messages);
            Op op = append(name, Kind.APPEND, t, request);
            if (!callerId) {
                return;
            }
            if (!op.ok() && random.nextBoolean()) {
                repeatNow.add(request);
            } else if (!op.ok() || random.nextInt(4) == 0) {
                remember(repeatLater, new Remembered(request, appendsTo(request.sessionId()).get()));
            }
        }

        /**
         * An append applied, its reply lost, then a read and a delete of its session, then the
         * store's retry: the retry must never write the erased message again. On MongoDB the proxy
         * and the hooks of {@link Eraser} do it inside the store's own call; in memory the call is
         * played as the library plays it (apply, lose the reply, retry with the same request).
         */
        private void appendAcrossDelete(String name, String session) {
            AppendRequest request = AppendRequest.builder(session, LANGUAGE).appendId(id(name))
                    .messages(message(id(name) + "-m0", Role.USER)).build();
            Target direct = targets.get(0);
            Runnable readThenErase = () -> {
                record(name + "-seen", Kind.RECENT, session, direct, () -> recent(direct, session, 10));
                record(name + "-erase", Kind.DELETE, session, direct,
                        () -> new Deleted(direct.store().deleteConversation(session)));
            };
            List<String> texts = List.of(id(name) + "-m0");
            appendsTo(session).incrementAndGet();
            if (eraser == null) {
                record(name, Kind.ERASE_RETRY, session, direct.name(), () -> {
                    direct.store().appendMessages(request);
                    readThenErase.run();
                    AppendResult r = direct.store().appendMessages(request); // the retry after the lost reply
                    return new Append(request.appendId(), texts, r.firstSequence(), r.duplicate());
                }, new Append(request.appendId(), texts, -1, null));
                return;
            }
            synchronized (eraser) {
                eraser.proxy().arm(Fault.DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
                eraser.hooks().afterFailure(CommandHooks.command("findAndModify", "conversations"), readThenErase);
                record(name, Kind.ERASE_RETRY, session, eraser.target().name(), () -> {
                    AppendResult r = eraser.target().store().appendMessages(request);
                    return new Append(request.appendId(), texts, r.firstSequence(), r.duplicate());
                }, new Append(request.appendId(), texts, -1, null));
            }
        }

        /**
         * Repeats an earlier append: half of the time the oldest remembered, which stays remembered
         * (so it is repeated again and again while its session moves on, up to the dedup window),
         * else a random one, then forgotten.
         */
        private void repeatLater(String name, Target t) {
            if (repeatLater.isEmpty()) {
                return;
            }
            Remembered remembered = random.nextBoolean() ? repeatLater.get(0)
                    : repeatLater.remove(random.nextInt(repeatLater.size()));
            if (appendsTo(remembered.request().sessionId()).get() - remembered.appendsBefore() >= REPEAT_WITHIN_APPENDS) {
                repeatLater.remove(remembered); // past the dedup window: a repeat may be applied again
                return;
            }
            append(name, Kind.RETRY, t, remembered.request());
        }

        private Op append(String name, Kind kind, Target t, AppendRequest request) {
            appendsTo(request.sessionId()).incrementAndGet();
            List<String> texts = request.messages().stream().map(Message::text).collect(Collectors.toList());
            Append ifFailed = new Append(request.appendId(), texts, -1, null);
            return record(name, kind, request.sessionId(), t.name(), () -> {
                AppendResult r = t.store().appendMessages(request);
                return new Append(request.appendId(), texts, r.firstSequence(), r.duplicate());
            }, ifFailed);
        }

        /** A turn of the turn service, new or a retry of a failed one; recorded as its two appends. */
        private void turn(String name, String session, Target t) {
            TurnRequest turn = !turnsToRetry.isEmpty() && random.nextBoolean() ? turnsToRetry.poll()
                    : new TurnRequest(session, LANGUAGE, id(name) + "-t", id(name));
            appendsTo(turn.sessionId()).addAndGet(2);
            Append user = new Append(turn.turnId() + ":user", List.of(turn.userText()), -1, null);
            Append reply = new Append(turn.turnId() + ":reply", List.of("echo: " + turn.userText()), -1, null);
            TurnResult[] result = new TurnResult[1];
            Op op = record(name, Kind.TURN, turn.sessionId(), t.name(), () -> {
                result[0] = t.turns().respond(turn);
                return new Append(user.appendId(), user.texts(), result[0].userMessage().sequence(), null);
            }, user);
            Effect replyEffect = op.ok()
                    ? new Append(reply.appendId(), reply.texts(), result[0].reply().sequence(), result[0].replayed())
                    : reply;
            history.add(new Op(op.name() + "-reply", Kind.TURN, op.session(), op.store(), op.invoked(), op.completed(),
                    op.outcome(), op.failure(), false, replyEffect));
            if (!op.ok()) {
                remember(turnsToRetry, turn);
            }
        }

        private void lease(Target t, String session) {
            if (stepped != null && random.nextInt(10) == 0) {
                // NTP or an operator steps the JVM's clock: leases and timestamps must not follow it
                stepped.step(Duration.ofMillis((1 + random.nextInt(80_000)) * (random.nextBoolean() ? 1L : -1L)));
            }
            String holder = "w" + index;
            Duration duration = Duration.ofMillis(100 + random.nextInt(900));
            switch (random.nextInt(3)) {
                case 0 -> t.store().tryAcquireLease(session, LANGUAGE, holder, duration);
                case 1 -> t.store().renewLease(session, holder, duration);
                default -> t.store().releaseLease(session, holder);
            }
        }

        private AtomicLong appendsTo(String session) {
            return appendsBySession.computeIfAbsent(session, s -> new AtomicLong());
        }

        /** An append to repeat later, with the session's append count when it was remembered. */
        private record Remembered(AppendRequest request, long appendsBefore) {}

        private <T> void remember(Collection<T> pool, T item) {
            pool.add(item);
            if (pool.size() > REPEAT_POOL) {
                pool.remove(pool.iterator().next());
            }
        }
    }

    /** The original backend's user and bot messages of one turn. */
    private static List<Document> oldTurn(String prefix) {
        Date now = new Date();
        return List.of(
                new Document("role", "user").append("text", prefix + "-u").append("timestamp", now)
                        .append("grammarSuggestion", "").append("translation", ""),
                new Document("role", "bot").append("text", prefix + "-b").append("timestamp", now)
                        .append("grammarSuggestion", "none").append("translation", "t:" + prefix));
    }

    private static Append oldAppend(String prefix) {
        return new Append("old:" + prefix, List.of(prefix + "-u", prefix + "-b"), -1, null);
    }

    /** The old backend's fixed handler: one atomic upsert. */
    private Effect oldFixedHandler(String session, String prefix) {
        heads.findOneAndUpdate(new Document("sessionId", session),
                new Document("$setOnInsert", new Document("sessionId", session).append("language", LANGUAGE)
                        .append("createdAt", new Date()))
                        .append("$push", new Document("messages", new Document("$each", oldTurn(prefix)))),
                new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
        return oldAppend(prefix);
    }

    /** The old backend's first version: check, then insert a whole document or push to the one found. */
    private Effect oldFirstVersion(String session, String prefix) throws NotApplied {
        Document found = heads.find(new Document("sessionId", session)).first();
        if (found == null) {
            try {
                heads.insertOne(new Document("sessionId", session).append("language", LANGUAGE)
                        .append("messages", oldTurn(prefix)).append("createdAt", new Date()).append("__v", 0));
            } catch (MongoWriteException e) {
                if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                    throw new NotApplied("E11000: another writer created the document first");
                }
                throw e;
            }
        } else if (heads.updateOne(new Document("_id", found.get("_id")),
                new Document("$push", new Document("messages", new Document("$each", oldTurn(prefix))))
                        .append("$inc", new Document("__v", 1))).getMatchedCount() == 0) {
            throw new NotApplied("the document found was deleted before the push");
        }
        return oldAppend(prefix);
    }
}
