package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.StoreListener;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolException;
import io.github.conversationstore.spi.ToolInvocation;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.testing.FaultInjectingProxy.Fault;
import io.github.conversationstore.testing.FaultInjectingProxy.RandomFaults;
import io.github.conversationstore.testing.SteppableClock;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The seeded randomized history of tool turns (issue 20, "the test method"): tool turns through
 * the public {@link TurnService} API of two "JVMs" (two {@link MongoConversationStore}s, each on its
 * own client behind its own {@link FaultInjectingProxy}, each with its own turn service; the second
 * with a skewed {@link SteppableClock} that is stepped now and then), on one embedded server.
 *
 * <p>Each step picks one of a few sessions, a turn id (new, or a resume of an earlier failed or
 * completed turn, also of a deleted life), a client (or both at once with the same turn id), and
 * maybe a fault: a reply dropped after the server applied the request, a reset, a short outage or a
 * black hole (every reply held, up to past the client's timeout) that may outlast the turn and cover its
 * release, a clock step, a delete of the session between turns or from inside a running tool. The
 * provider calls a tool on the first step and answers on the second; it and the tool fail,
 * time out and hang (ignoring interrupts) now and then.
 *
 * <p>After every step the invariants are checked on every session through a third store on a
 * direct client (all messages read with {@code readMessages} paging):
 * <ul>
 *   <li>(a) every stored step of a turn is stored once (no message id twice);</li>
 *   <li>(b) never two overlapping runs of one tool call within one turn service;</li>
 *   <li>(c) a completed turn's resume returns the same reply and stores nothing new;</li>
 *   <li>(d) sequence numbers are dense from 0;</li>
 *   <li>(e) nothing of an erased life is read after its delete (its message ids never appear again);</li>
 *   <li>(f) every window a provider got is within {@code windowChars} (every part counted, as
 *       {@link PromptChars} does);</li>
 *   <li>(g) a session is never refused busy later than {@code leaseDuration + operationTimeout}
 *       after its previous turn ended (steps where both clients run the session at once excepted:
 *       there the other turn is live);</li>
 *   <li>(h) a turn's steps follow its user message in the same life, and a result follows its
 *       call;</li>
 *   <li>(i) a turn fails only with the documented exceptions (busy, lease lost, reply failed,
 *       store unavailable, concurrent append, and {@link AppendErasedException} only for a turn
 *       of an erased life);</li>
 *   <li>(j) a turn run alone (one client, no delete in its step) never loses its lease, whatever
 *       the faults and clock steps;</li>
 *   <li>(k) a turn whose attempt failed because the store did not answer, resumed by its turn id on
 *       the same client before any other turn of the session, is never refused busy (it takes its
 *       own lease back at once);</li>
 *   <li>(l) client B's turn service compacts (its window is the token window of a budget counted in
 *       {@link PromptChars}, so (f) holds for it too; its summarizer fails, hangs past its timeout and
 *       returns oversized summaries now and then): the summaries of a life have distinct ranges, each
 *       starting at 0 or where the one before ends, within the stored messages, never ending inside a
 *       tool exchange; a summary once seen is never lost while its range's messages are there, and
 *       none of an erased life is read again; every summarizer request and every window holds whole
 *       tool exchanges.</li>
 * </ul>
 * The first violation fails the test with the seed and the step, and the log of the last steps.
 *
 * <p>System properties: {@code turns.seconds} (budget, default 15; the soak:
 * {@code -Dturns.seconds=300}), {@code turns.seed} (default random, printed), {@code turns.verbose}
 * (print every step). Timing (faults,
 * timeouts) is real, so a seed repeats the choices, not every interleaving.
 */
class RandomizedTurnHistoryTest extends EmbeddedMongoTestBase {
    private static final Duration BUDGET = Duration.ofSeconds(Long.getLong("turns.seconds", 15));
    private static final int SESSIONS = 4;
    private static final String LANGUAGE = "en";
    private static final String TOOL = "lookup";
    /** Longer than the operation timeout, so that a turn failed by an outage leaves some of its lease behind. */
    private static final Duration LEASE = Duration.ofSeconds(3);
    private static final Duration OPERATION_TIMEOUT = Duration.ofMillis(1_500);
    private static final Duration REPLY_TIMEOUT = Duration.ofMillis(400);
    private static final Duration TOOL_TIMEOUT = Duration.ofMillis(400);
    private static final Duration BUSY_TIMEOUT = Duration.ofMillis(500);
    private static final int WINDOW_CHARS = 1_500;
    /** Scheduling and proxy jitter allowed on top of a time bound. */
    private static final Duration SLACK = Duration.ofMillis(300);
    /** Erased turns are resumed only while their session had fewer appends since (the erased ids' window is 2,048 appends). */
    private static final long ERASED_RESUME_WITHIN_APPENDS = 1_500;
    private static final int LOG_LINES = 60;

    /** A violation of an invariant, with what the test knew then. */
    private static final class Violation extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Violation(String message) {
            super(message, null, false, false);
        }
    }

    /** One of the two "JVMs". */
    private record Client(String name, FaultInjectingProxy proxy, MongoClient mongo, MongoConversationStore store,
            TurnService turns) {}

    /** A turn the test may resume: its request, and the life of its session it was first tried in. */
    private record Turn(TurnRequest request, int life) {}

    /** A completed turn as it was stored. */
    private record Completed(String replyId, String text, long sequence, int life) {}

    private long seed;
    private Random random;
    private String database;
    private MongoConversationStore observer;
    private final List<Client> clients = new ArrayList<>();
    private SteppableClock skewed;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "turns-fault-timer");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService pair = Executors.newFixedThreadPool(2);

    // what the test knows; guarded by this
    private int step;
    private String stepName = "setup";
    private final List<String> log = new ArrayList<>();
    private final Map<String, Integer> life = new HashMap<>();
    private final Map<String, Set<String>> erased = new HashMap<>();
    private final Map<String, Set<String>> seenThisLife = new HashMap<>();
    private final Map<String, AtomicLong> appendsSinceDelete = new HashMap<>();
    private final Map<String, Long> lastTurnEnd = new HashMap<>();
    private final Map<String, Turn> turnsById = new LinkedHashMap<>();
    private final List<String> failedTurns = new ArrayList<>();
    private final Map<String, Completed> completed = new LinkedHashMap<>();
    private final Map<String, Long> outcomes = new TreeMap<>();
    private final Map<String, Long> faults = new TreeMap<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private volatile String eraseInTool;
    /** Whether the tool deleted the session in this step. */
    private volatile boolean deletedThisStep;
    /** What the step under way does, for the report. */
    private volatile String stepDescription = "";
    /** If positive, the next tool run starts an outage this long on its own service's proxy. */
    private volatile long outageInTool;
    /** The turn id of the last step if a respond of it failed. */
    private String lastFailed;
    private final AtomicInteger ownResumes = new AtomicInteger();
    /** The last attempt of each session: "turnId client outcome". */
    private final Map<String, String> lastAttempt = new ConcurrentHashMap<>();
    /** The longest lease wait of the running respond, by "client session". */
    private final Map<String, Long> leaseWaits = new ConcurrentHashMap<>();
    private long maxWindowChars;
    /** Per session: the summaries seen in this life, by message id, with the id of their range's last message. */
    private final Map<String, Map<String, String>> summariesThisLife = new HashMap<>();
    private final Set<String> erasedSummaries = new HashSet<>();
    private final RandomSummarizer summarizer = new RandomSummarizer();
    private static final Duration SUMMARY_TIMEOUT = Duration.ofMillis(300);
    private long maxRespondMillis;
    private long longestBusyAfterEndMillis = -1;

    private final RecordingTool tool = new RecordingTool();
    private final ScriptedModel model = new ScriptedModel();

    @Test
    void randomToolTurnsWithFaultsSkewAndTwoClients_keepEveryInvariant() throws Exception {
        seed = Long.getLong("turns.seed", new SecureRandom().nextLong());
        System.out.println("RandomizedTurnHistoryTest: seed=" + seed + " (repeat with -Dturns.seed=" + seed + "), budget "
                + BUDGET.toSeconds() + " s");
        random = new Random(seed);
        tool.random = new Random(seed ^ 0x5DEECE66DL);
        model.random = new Random(seed * 31 + 7);
        summarizer.random = new Random(seed * 17 + 3);
        database = "randturn" + System.nanoTime();
        long started = System.nanoTime();
        try {
            setUp();
            long deadline = started + BUDGET.toNanos() - TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < deadline) {
                step++;
                stepName = "step " + step;
                long stepStart = System.nanoTime();
                runStep();
                long checkStart = System.nanoTime();
                checkAll();
                log("  (step " + TimeUnit.NANOSECONDS.toMillis(checkStart - stepStart) + " ms, check "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - checkStart) + " ms)");
            }
            quiesce();
            stepName = "final check";
            checkAll();
        } catch (Violation v) {
            violations.add(v.getMessage());
        } catch (Exception | Error e) {
            // the test itself broke: say where, with the seed, then rethrow
            synchronized (this) {
                System.out.println("RandomizedTurnHistoryTest: seed=" + seed + " the test broke in " + stepDescription
                        + ": " + e + "\nthe steps before it:");
                log.subList(Math.max(0, log.size() - LOG_LINES), log.size()).forEach(l -> System.out.println("  " + l));
            }
            throw e;
        } finally {
            tearDown();
        }
        String summary = summary(Duration.ofNanos(System.nanoTime() - started));
        if (Boolean.getBoolean("turns.verbose")) {
            synchronized (this) {
                log.forEach(l -> System.out.println("  " + l));
            }
        }
        System.out.println(summary);
        if (!violations.isEmpty()) {
            StringBuilder report = new StringBuilder("RandomizedTurnHistoryTest FAILED with seed=").append(seed)
                    .append(" (repeat with -Dturns.seed=").append(seed).append(")\n").append(violations.get(0))
                    .append("\nthe step: ").append(stepDescription).append('\n').append(summary)
                    .append("\nthe steps before it:\n");
            synchronized (this) {
                log.subList(Math.max(0, log.size() - LOG_LINES), log.size()).forEach(l -> report.append("  ").append(l).append('\n'));
            }
            System.out.println(report);
            assertThat(violations).as(report.toString()).isEmpty();
        }
        assertThat(outcomes).as("the run completed turns").containsKey("ok");
    }

    // ---------------------------------------------------------------- setup

    private void setUp() throws Exception {
        observer = MongoConversationStore.builder().client(client).database(database).maxHeadMessages(4)
                .maxHeadBytes(4096).build();
        long skewMillis = (2_000 + random.nextInt(4_001)) * (random.nextBoolean() ? 1L : -1L);
        skewed = new SteppableClock(Duration.ofMillis(skewMillis));
        log("setup: client B's clock is skewed by " + skewMillis + " ms");
        for (String name : List.of("A", "B")) {
            FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
            MongoClient mongo = MongoClients.create(proxy.clientSettings(OPERATION_TIMEOUT));
            MongoConversationStore.Builder b = MongoConversationStore.builder().client(mongo).database(database)
                    .maxHeadMessages(4).maxHeadBytes(4096).operationTimeout(OPERATION_TIMEOUT).createIndexes(false);
            MongoConversationStore store = name.equals("B") ? b.clock(skewed).build() : b.build();
            StoreListener waits = new StoreListener() {
                @Override
                public void onLeaseWait(LeaseWait event) {
                    leaseWaits.merge(name + " " + event.sessionId(), event.waited().toMillis(), Math::max);
                }
            };
            TurnService.Builder turns = TurnService.builder(store).provider(model).tools(tool.forService(name))
                    .exposeSessionIds(true).listener(waits)
                    .replyTimeout(REPLY_TIMEOUT).toolTimeout(TOOL_TIMEOUT).leaseDuration(LEASE).busyTimeout(BUSY_TIMEOUT)
                    .maxProviderAttempts(2).maxToolAttempts(2).retryBackoff(Duration.ofMillis(10)).maxSteps(4);
            if (name.equals("B")) {
                turns.clock(skewed).compaction(Compaction.builder().triggerTokens(WINDOW_CHARS).keepTokens(600)
                        .summaryTokens(300).tokenCounter(m -> (int) PromptChars.of(m)).summarizer(summarizer)
                        .timeout(SUMMARY_TIMEOUT).build());
            } else {
                turns.windowMessages(20).windowChars(WINDOW_CHARS);
            }
            clients.add(new Client(name, proxy, mongo, store, turns.build()));
        }
        for (int s = 0; s < SESSIONS; s++) {
            String session = "s" + s;
            life.put(session, 0);
            erased.put(session, new HashSet<>());
            seenThisLife.put(session, new HashSet<>());
            summariesThisLife.put(session, new HashMap<>());
            appendsSinceDelete.put(session, new AtomicLong());
        }
    }

    private void tearDown() {
        timer.shutdownNow();
        pair.shutdownNow();
        for (Client c : clients) {
            c.turns().close();
            c.store().close();
            c.mongo().close();
            try {
                c.proxy().close();
            } catch (Exception ignored) {
                // closing anyway
            }
        }
        if (observer != null) {
            observer.close();
        }
        client.getDatabase(database).drop();
    }

    /** Faults off and disarmed, and a moment for held replies to drain, before the final check. */
    private void quiesce() {
        for (Client c : clients) {
            c.proxy().stopRandom();
            c.proxy().arm(Fault.DROP_REPLY_AFTER_APPLY, "findAndModify", 0);
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
    }

    // ---------------------------------------------------------------- one step

    private void runStep() throws Exception {
        String session = "s" + random.nextInt(SESSIONS);
        if (random.nextInt(100) < 6) {
            delete(session, clients.get(random.nextInt(2)));
            return;
        }
        if (random.nextInt(100) < 4) {
            Duration by = Duration.ofMillis((1 + random.nextInt(80_000)) * (random.nextBoolean() ? 1L : -1L));
            skewed.step(by);
            log(stepName + ": client B's clock stepped by " + by.toMillis() + " ms (offset now " + skewed.offset().toMillis() + " ms)");
        }
        TurnRequest turn = chooseTurn(session);
        String kind = kind(turn);
        synchronized (this) {
            turnsById.putIfAbsent(turn.turnId(), new Turn(turn, lifeOf(turn.sessionId())));
            lastFailed = null;
        }
        boolean both = random.nextInt(100) < 12;
        Client first = clients.get(random.nextInt(2));
        String last = lastAttempt.get(turn.sessionId());
        if (last != null && last.startsWith(turn.turnId() + " ") && random.nextInt(100) < 70) {
            // mostly resume a failed turn where it failed: (k) checks that it takes its own lease back at once
            String where = last.substring(turn.turnId().length() + 1).split(" ")[0];
            first = clients.stream().filter(x -> x.name().equals(where)).findFirst().orElse(first);
        }
        String fault = random.nextInt(100) < 30 ? injectFault(both ? clients.get(random.nextInt(2)) : first) : "none";
        deletedThisStep = false;
        if (!both && random.nextInt(100) < 5) {
            eraseInTool = turn.sessionId();
            fault = fault + "+deleteInTool";
        } else if ((kind.equals("new") || kind.equals("resume-failed")) && random.nextInt(100) < 15) {
            // the server gone from just after a tool ran (issue 20, item 2): the outage covers the
            // result's append and the release, and often outlasts the turn
            outageInTool = 300 + random.nextInt(2_700);
            fault = fault + "+outageInTool(" + outageInTool + " ms)";
        }
        stepDescription = stepName + ": " + turn.sessionId() + " " + turn.turnId() + " (" + kind + ") on "
                + (both ? "both" : first.name()) + ", fault " + fault;
        long countBefore = readAll(turn.sessionId()).size();
        if (both) {
            Future<String> a = pair.submit(() -> respond(clients.get(0), turn, true, kind));
            Future<String> b = pair.submit(() -> respond(clients.get(1), turn, true, kind));
            String ra;
            String rb;
            try {
                ra = a.get(2, TimeUnit.MINUTES);
                rb = b.get(2, TimeUnit.MINUTES);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Violation v) {
                    throw v;
                }
                throw e;
            }
            log(stepName + ": " + turn.sessionId() + " " + turn.turnId() + " (" + kind + ") on both, fault " + fault + ": A "
                    + ra + ", B " + rb);
        } else {
            String r = respond(first, turn, false, kind);
            log(stepName + ": " + turn.sessionId() + " " + turn.turnId() + " (" + kind + ") on " + first.name() + ", fault "
                    + fault + ": " + r);
        }
        eraseInTool = null;
        outageInTool = 0;
        for (Client c : clients) {
            c.proxy().arm(Fault.DROP_REPLY_AFTER_APPLY, "findAndModify", 0); // what was armed and did not fire
        }
        Completed done = completed.get(turn.turnId());
        if (done != null && kind.equals("resume-completed") && done.life() == lifeOf(turn.sessionId())) {
            // (c) a completed turn's resume stores nothing new
            long countAfter = readAll(turn.sessionId()).size();
            if (countAfter != countBefore) {
                fail("(c) resuming completed turn " + turn.turnId() + " of " + turn.sessionId() + " changed its message count "
                        + countBefore + " -> " + countAfter);
            }
        }
    }

    private synchronized String kind(TurnRequest turn) {
        Turn known = turnsById.get(turn.turnId());
        if (known == null) {
            return "new";
        }
        if (known.life() != lifeOf(turn.sessionId())) {
            return "resume-erased";
        }
        return completed.containsKey(turn.turnId()) ? "resume-completed" : "resume-failed";
    }

    /**
     * A new turn, or a resume: right after a failed step, 70 % of the time that same turn (the
     * scenario of a lease left behind); else now and then a failed turn or any earlier turn.
     */
    private synchronized TurnRequest chooseTurn(String session) {
        int draw = random.nextInt(100);
        if (lastFailed != null && draw < 70 && resumable(turnsById.get(lastFailed))) {
            return turnsById.get(lastFailed).request();
        }
        draw = random.nextInt(100);
        if (draw < 20 && !failedTurns.isEmpty()) {
            Turn t = turnsById.get(failedTurns.get(random.nextInt(failedTurns.size())));
            if (resumable(t)) {
                return t.request();
            }
        } else if (draw < 35 && !turnsById.isEmpty()) {
            List<String> ids = new ArrayList<>(turnsById.keySet());
            Turn t = turnsById.get(ids.get(random.nextInt(ids.size())));
            if (resumable(t)) {
                return t.request();
            }
        }
        String id = "t" + step;
        return new TurnRequest(session, LANGUAGE, "question " + step + " " + "x".repeat(random.nextInt(200)), id);
    }

    /** A turn of an erased life is resumed only while the store still remembers its ids as erased. */
    private boolean resumable(Turn t) {
        return t != null && (t.life() == lifeOf(t.request().sessionId())
                || appendsSinceDelete.get(t.request().sessionId()).get() < ERASED_RESUME_WITHIN_APPENDS);
    }

    /** Arms or starts a fault on a client's proxy; returns its description. */
    private String injectFault(Client c) {
        String marker = List.of("findAndModify", "update", "find", "insert").get(random.nextInt(4));
        String kind;
        switch (random.nextInt(10)) {
            case 0, 1, 2, 3 -> {
                int times = 1 + random.nextInt(2);
                c.proxy().arm(Fault.DROP_REPLY_AFTER_APPLY, marker, times);
                kind = "drop " + times + "x " + marker + " reply after apply on " + c.name();
            }
            case 4, 5 -> {
                long ms = 100 + random.nextInt(600);
                c.proxy().startRandom(new RandomFaults(random.nextLong(), 0, 0, 0.3, 0, Duration.ofMillis(1),
                        Duration.ofMillis(1), Duration.ofMillis(1)));
                stopLater(c, ms);
                kind = "resets (p=0.3) for " + ms + " ms on " + c.name();
            }
            case 6, 7 -> {
                long ms = 200 + random.nextInt(2_300);
                c.proxy().startRandom(new RandomFaults(random.nextLong(), 0, 0, 0, 1.0, Duration.ofMillis(1),
                        Duration.ofMillis(1), Duration.ofMillis(2 * ms)));
                stopLater(c, ms);
                kind = "outage of " + ms + " ms on " + c.name();
            }
            default -> {
                long ms = 200 + random.nextInt(1_800);
                // every reply held, up to past the client's read timeout: a black hole for a while
                // (the requests are still applied, their replies come late or never)
                c.proxy().startRandom(new RandomFaults(random.nextLong(), 0, 1.0 - 1e-9, 0, 0,
                        OPERATION_TIMEOUT.plusMillis(1_000), OPERATION_TIMEOUT.plusMillis(1_000), Duration.ofMillis(1)));
                stopLater(c, ms);
                kind = "holds of " + ms + " ms on " + c.name();
            }
        }
        synchronized (this) {
            faults.merge(kind.replaceAll(" [0-9]+x? .*| of .*| \\(.*", ""), 1L, Long::sum);
        }
        return kind;
    }

    private void stopLater(Client c, long millis) {
        timer.schedule(() -> c.proxy().stopRandom(), millis, TimeUnit.MILLISECONDS);
    }

    /** Runs one respond and checks what it returned; returns the outcome for the log. */
    private String respond(Client c, TurnRequest turn, boolean concurrent, String kind) {
        String session = turn.sessionId();
        int lifeAtStart = lifeOf(session);
        Completed before = completed.get(turn.turnId());
        int providerCallsBefore = model.calls.get();
        boolean ownResume = !concurrent
                && (turn.turnId() + " " + c.name() + " ConversationStoreUnavailableException").equals(lastAttempt.get(session));
        leaseWaits.remove(c.name() + " " + session);
        long start = System.nanoTime();
        String outcome;
        try {
            TurnResult result = c.turns().respond(turn);
            outcome = result.replayed() ? "replayed" : "ok";
            String replyText = result.reply().message().text();
            if (before != null && before.life() == lifeAtStart && !concurrent) {
                // (c) the same reply, stored once
                if (!result.replayed() || !replyText.equals(before.text()) || result.reply().sequence() != before.sequence()) {
                    fail("(c) completed turn " + turn.turnId() + " of " + session + " resumed on " + c.name() + " returned "
                            + (result.replayed() ? "a replay" : "a new reply") + " '" + replyText + "' at "
                            + result.reply().sequence() + ", stored '" + before.text() + "' at " + before.sequence());
                }
            }
            if (kind.equals("resume-erased")) {
                outcome = outcome + "(of a turn tried in an erased life; it had stored nothing there)";
            }
            synchronized (this) {
                turnsById.put(turn.turnId(), new Turn(turn, lifeAtStart));
            }
        } catch (Violation v) {
            throw v;
        } catch (ConversationBusyException e) {
            outcome = e instanceof LeaseLostException ? "lease lost" : "busy";
            if (e instanceof LeaseLostException && !concurrent && !deletedThisStep) {
                // (j) nothing else touched the session in this step: a live turn keeps its lease
                fail("(j) turn " + turn.turnId() + " (" + kind + ") of " + session + " on " + c.name()
                        + " lost its lease with no other turn running and no delete: " + e);
            }
            if (!(e instanceof LeaseLostException) && !concurrent) {
                checkBusy(session, c);
                if ((turn.turnId() + " " + c.name() + " ConversationStoreUnavailableException").equals(lastAttempt.get(session))) {
                    fail("(k) turn " + turn.turnId() + " of " + session + " on " + c.name() + ", whose last attempt there failed"
                            + " with the store unavailable, was refused busy on its own resume: " + e);
                }
            }
        } catch (AppendErasedException e) {
            outcome = "erased";
            if (!kind.equals("resume-erased")) {
                fail("(i) turn " + turn.turnId() + " (" + kind + ") of " + session + " on " + c.name()
                        + " was refused as erased: " + e);
            }
        } catch (ReplyFailedException | ConversationStoreUnavailableException | ConcurrentAppendException e) {
            outcome = e.getClass().getSimpleName() + (e instanceof ReplyFailedException r && !r.isRetryable() ? "(final)" : "");
        } catch (RuntimeException e) {
            outcome = e.getClass().getSimpleName();
            fail("(i) turn " + turn.turnId() + " (" + kind + ") of " + session + " on " + c.name()
                    + " failed with an undocumented exception: " + e);
        } finally {
            Long waited = leaseWaits.get(c.name() + " " + session);
            if (ownResume) {
                ownResumes.incrementAndGet();
            }
            if (ownResume && waited != null && waited > LEASE.toMillis() / 3) {
                violations.add("seed=" + seed + " " + stepName + ": (k) turn " + turn.turnId() + " of " + session + " on "
                        + c.name() + ", whose attempt there failed with the store unavailable, waited " + waited
                        + " ms for its own lease");
            }
            long end = System.nanoTime();
            synchronized (this) {
                lastTurnEnd.merge(session, end, Math::max);
                maxRespondMillis = Math.max(maxRespondMillis, TimeUnit.NANOSECONDS.toMillis(end - start));
                appendsSinceDelete.get(session).addAndGet(4);
            }
        }
        // (k) applies to an attempt that held the lease (it called the provider) and was alone
        boolean heldTheLease = model.calls.get() > providerCallsBefore;
        lastAttempt.put(session, concurrent || !heldTheLease ? "other" : turn.turnId() + " " + c.name() + " " + outcome);
        synchronized (this) {
            outcomes.merge(outcome.replaceAll("\\(.*", ""), 1L, Long::sum);
            if (outcome.equals("erased")) {
                // refused for good: its messages belong to the erased life; (e) keeps watching its ids
                failedTurns.remove(turn.turnId());
                turnsById.remove(turn.turnId());
            } else if (!outcome.startsWith("ok") && !outcome.startsWith("replayed")) {
                lastFailed = turn.turnId();
                if (!failedTurns.contains(turn.turnId())) {
                    failedTurns.add(turn.turnId());
                }
            } else {
                failedTurns.remove(turn.turnId());
            }
        }
        return outcome + " in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms";
    }

    /** (g): refused busy at most leaseDuration + operationTimeout after the session's previous turn ended. */
    private synchronized void checkBusy(String session, Client c) {
        Long ended = lastTurnEnd.get(session);
        // the refusal's last try was made at most a poll pause (100 ms) before the exception
        long refusedAfter = ended == null ? Long.MAX_VALUE : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - ended) - 100;
        longestBusyAfterEndMillis = Math.max(longestBusyAfterEndMillis, refusedAfter);
        Duration bound = LEASE.plus(OPERATION_TIMEOUT).plus(SLACK);
        if (refusedAfter > bound.toMillis()) {
            fail("(g) session " + session + " refused busy on " + c.name() + " " + (ended == null ? "with no turn before"
                    : refusedAfter + " ms after its previous turn ended") + " (bound " + bound.toMillis() + " ms)");
        }
    }

    private void delete(String session, Client via) {
        boolean direct = random.nextBoolean();
        String outcome;
        List<StoredMessage> before = readAll(session);
        try {
            long n = direct ? observer.deleteConversation(session) : via.store().deleteConversation(session);
            outcome = "deleted " + n;
        } catch (ConversationStoreException e) {
            outcome = e.getClass().getSimpleName();
        }
        noteDelete(session, before);
        log(stepName + ": delete " + session + " via " + (direct ? "observer" : via.name()) + ": " + outcome);
    }

    /** After a delete attempt: if the session's messages are gone, what was there is erased for good. */
    private synchronized void noteDelete(String session, List<StoredMessage> before) {
        List<StoredMessage> after = readAll(session);
        if (!before.isEmpty() && after.isEmpty()) {
            before.forEach(m -> erased.get(session).add(m.message().id()));
            erased.get(session).addAll(seenThisLife.get(session));
            seenThisLife.get(session).clear();
            erasedSummaries.addAll(summariesThisLife.get(session).keySet());
            summariesThisLife.get(session).clear();
            life.merge(session, 1, Integer::sum);
            appendsSinceDelete.get(session).set(0);
            failedTurns.removeIf(id -> turnsById.get(id) == null || turnsById.get(id).request().sessionId().equals(session)
                    && turnsById.get(id).life() != lifeOf(session));
        } else if (before.isEmpty() && after.isEmpty()) {
            // nothing to erase; a turn that stored nothing is not of another life
        }
    }

    // ---------------------------------------------------------------- the checks

    private synchronized int lifeOf(String session) {
        return life.get(session);
    }

    private List<StoredMessage> readAll(String session) {
        List<StoredMessage> out = new ArrayList<>();
        long from = 0;
        while (true) {
            List<StoredMessage> page = observer.readMessages(session, from, 7);
            out.addAll(page);
            if (page.size() < 7) {
                return out;
            }
            from = page.get(page.size() - 1).sequence() + 1;
        }
    }

    private synchronized void checkAll() {
        if (!violations.isEmpty()) {
            throw new Violation(violations.get(0));
        }
        for (int s = 0; s < SESSIONS; s++) {
            check("s" + s);
        }
    }

    private void check(String session) {
        List<StoredMessage> messages = readAll(session);
        Set<String> ids = new HashSet<>();
        Map<String, Long> positions = new HashMap<>();
        for (int i = 0; i < messages.size(); i++) {
            StoredMessage m = messages.get(i);
            String id = m.message().id();
            if (m.sequence() != i) { // (d)
                fail("(d) session " + session + ": message " + i + " (" + id + ") has sequence " + m.sequence());
            }
            if (!ids.add(id)) { // (a)
                fail("(a) session " + session + ": step " + id + " is stored twice (again at " + m.sequence() + ")");
            }
            if (erased.get(session).contains(id)) { // (e)
                fail("(e) session " + session + ": " + id + " of an erased life is readable again at " + m.sequence());
            }
            positions.put(id, m.sequence());
            int colon = id.indexOf(':');
            if (colon > 0) { // (h)
                String turnId = id.substring(0, colon);
                String rest = id.substring(colon + 1);
                if (!rest.equals("user") && !positions.containsKey(turnId + ":user")) {
                    fail("(h) session " + session + ": " + id + " at " + m.sequence() + " without its turn's user message before it");
                }
                int result = rest.indexOf(":r");
                if (result > 0 && !positions.containsKey(turnId + ":" + rest.substring(0, result))) {
                    fail("(h) session " + session + ": result " + id + " at " + m.sequence() + " without its call before it");
                }
                if (rest.equals("reply")) {
                    Completed known = completed.get(turnId);
                    Completed now = new Completed(id, m.message().text(), m.sequence(), lifeOf(session));
                    if (known == null || known.life() != now.life()) {
                        completed.put(turnId, now);
                    } else if (!known.equals(now)) {
                        fail("(c) session " + session + ": the reply of completed turn " + turnId + " changed from " + known
                                + " to " + now);
                    }
                }
            }
            seenThisLife.get(session).add(id);
        }
        checkSummaries(session, messages, ids);
    }

    /** (l): the summaries of the session's life, read twice around the messages so a delete between is seen. */
    private void checkSummaries(String session, List<StoredMessage> messages, Set<String> ids) {
        List<Summary> summaries = observer.summaries(session);
        if (!readAll(session).equals(messages) || !observer.summaries(session).equals(summaries)) {
            return; // something changed under the check (a tool still running deletes): judged at the next one
        }
        Set<String> ranges = new HashSet<>();
        long end = 0;
        Map<String, String> seen = summariesThisLife.get(session);
        Set<String> present = new HashSet<>();
        for (Summary summary : summaries) {
            String range = "[" + summary.fromSequence() + ", " + summary.toSequence() + ")";
            String id = summary.message().id();
            present.add(id);
            if (!ranges.add(range)) {
                fail("(l) session " + session + ": two summaries of " + range);
            }
            if (summary.fromSequence() != 0 && summary.fromSequence() != end) {
                fail("(l) session " + session + ": summary " + range + " does not start at 0 or at " + end);
            }
            if (summary.toSequence() > messages.size()) {
                fail("(l) session " + session + ": summary " + range + " beyond the " + messages.size() + " messages");
            }
            if (summary.toSequence() < messages.size() && messages.get((int) summary.toSequence()).role() == Role.TOOL) {
                fail("(l) session " + session + ": summary " + range + " ends inside a tool exchange");
            }
            if (erasedSummaries.contains(id)) {
                fail("(l) session " + session + ": summary " + range + " of an erased life is readable again");
            }
            end = Math.max(end, summary.toSequence());
            seen.putIfAbsent(id, messages.get((int) summary.toSequence() - 1).message().id());
        }
        for (Map.Entry<String, String> e : seen.entrySet()) {
            if (!present.contains(e.getKey()) && ids.contains(e.getValue())) {
                fail("(l) session " + session + ": summary " + e.getKey() + " was lost while its messages are there");
            }
        }
    }

    private void fail(String what) {
        String message = "seed=" + seed + " " + stepName + ": " + what;
        violations.add(message);
        throw new Violation(message);
    }

    private synchronized void log(String line) {
        log.add(line);
    }

    private synchronized String summary(Duration took) {
        return "RandomizedTurnHistoryTest: seed=" + seed + " steps=" + step + " in " + took.toMillis() + " ms; outcomes "
                + outcomes + "; faults " + faults + "; tool runs " + tool.runs.get() + " (" + tool.keys.size()
                + " calls, most runs of one call " + tool.keys.values().stream().mapToInt(AtomicInteger::get).max().orElse(0)
                + "), provider calls " + model.calls.get() + ", summarizer calls " + summarizer.calls.get() + " ("
                + summarizer.refused.get() + " failed, slow or oversized), summaries seen "
                + summariesThisLife.values().stream().mapToInt(Map::size).sum() + " (this life) + " + erasedSummaries.size()
                + " (erased lives), own resumes after an outage " + ownResumes + ", largest window " + maxWindowChars + " of " + WINDOW_CHARS
                + " chars; slowest respond " + maxRespondMillis + " ms; latest busy refusal after a turn ended "
                + longestBusyAfterEndMillis + " ms; completed turns " + completed.size() + "; violations " + violations.size();
    }

    // ---------------------------------------------------------------- provider and tool

    /**
     * Calls the tool on the first step and answers on the second, deterministically in the request
     * (so a resumed turn gets the same reply); now and then fails retryably. Checks (f).
     */
    private final class ScriptedModel implements ReplyProvider {
        final AtomicInteger calls = new AtomicInteger();
        Random random;

        @Override
        public Reply reply(ReplyRequest request) {
            calls.incrementAndGet();
            long chars = 0;
            for (StoredMessage m : request.window()) {
                chars += PromptChars.of(m.message());
            }
            synchronized (RandomizedTurnHistoryTest.this) {
                maxWindowChars = Math.max(maxWindowChars, chars);
                if (chars > WINDOW_CHARS) {
                    violations.add("seed=" + seed + " " + stepName + ": (f) turn " + request.turnId() + " of "
                            + request.sessionId() + ": the provider got a window of " + chars + " chars ("
                            + request.window().size() + " messages), budget " + WINDOW_CHARS);
                }
            }
            List<StoredMessage> stored = request.window().stream().filter(m -> m.role() != Role.SYSTEM).toList();
            if (!ToolPairs.keepWhole(stored).equals(stored)) {
                synchronized (RandomizedTurnHistoryTest.this) {
                    violations.add("seed=" + seed + " " + stepName + ": (l) turn " + request.turnId() + " of "
                            + request.sessionId() + ": a window with a tool exchange cut");
                }
            }
            int draw;
            synchronized (this) {
                draw = random.nextInt(100);
            }
            if (draw < 6) {
                throw new ReplyProviderException("injected: overloaded", true, null);
            }
            boolean called = request.steps().stream().anyMatch(m -> m.role() == Role.ASSISTANT);
            if (!called) {
                return new Reply(List.of(Part.Reasoning.of("look it up", "sig"),
                        new Part.ToolCall("c1", TOOL, "{\"q\":\"" + request.turnId() + "\"}")), Map.of(),
                        new TokenUsage(10, 2), Map.of());
            }
            StringBuilder text = new StringBuilder("answer to " + request.turnId() + ":");
            request.steps().forEach(m -> m.message().toolResults().forEach(r -> text.append(' ')
                    .append(r.error() ? "error" : r.content().length())));
            return new Reply(List.of(Part.text(text.toString())), Map.of(), new TokenUsage(10, 5), Map.of());
        }
    }

    /** Whether {@code result} holds a result of a tool call {@code call} makes. */
    private static boolean answers(StoredMessage call, StoredMessage result) {
        Set<String> calls = new HashSet<>();
        call.message().toolCalls().forEach(c -> calls.add(c.callId()));
        return result.message().toolResults().stream().anyMatch(r -> calls.contains(r.callId()));
    }

    /**
     * Client B's summarizer: names the range it covers; now and then fails, runs past its timeout,
     * or returns a summary over the limit. Checks that every request holds whole tool exchanges,
     * dense from where its previous summary ends.
     */
    private final class RandomSummarizer implements io.github.conversationstore.spi.Summarizer {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        Random random;

        @Override
        public Message summarize(io.github.conversationstore.spi.SummaryRequest request) throws Exception {
            calls.incrementAndGet();
            List<StoredMessage> range = request.messages();
            boolean dense = true;
            for (int i = 0; i < range.size(); i++) {
                dense &= range.get(i).sequence() == range.get(0).sequence() + i;
            }
            long start = request.previousSummary().map(Summary::toSequence).orElse(0L);
            // a cut splits an exchange where the message before the range calls a tool the range's
            // first message answers, or the range's last message calls one the message after it
            // answers; a call or result a failed turn (resumed after later turns) left apart is no cut
            StoredMessage first = range.get(0);
            StoredMessage last = range.get(range.size() - 1);
            List<StoredMessage> before = first.sequence() == 0 ? List.of()
                    : observer.readMessages(request.sessionId(), first.sequence() - 1, 1);
            List<StoredMessage> after = observer.readMessages(request.sessionId(), last.sequence() + 1, 1);
            boolean cut = !before.isEmpty() && answers(before.get(0), first) || !after.isEmpty() && answers(last, after.get(0));
            if (!dense || first.sequence() != start || cut) {
                synchronized (RandomizedTurnHistoryTest.this) {
                    violations.add("seed=" + seed + " " + stepName + ": (l) summarizer of " + request.sessionId()
                            + " got [" + request.fromSequence() + ", " + request.toSequence() + ") after a summary ending at "
                            + start + ", not dense or with a tool exchange cut: " + range.stream()
                                    .map(m -> m.sequence() + ":" + m.role() + (m.message().toolCalls().isEmpty() ? "" : "+calls"))
                                    .toList());
                }
            }
            int draw;
            synchronized (this) {
                draw = random.nextInt(100);
            }
            if (draw < 10) {
                refused.incrementAndGet();
                throw new IllegalStateException("injected: summarizer down");
            }
            if (draw < 15) {
                refused.incrementAndGet();
                Thread.sleep(SUMMARY_TIMEOUT.toMillis() * 2);
            }
            if (draw < 20) {
                refused.incrementAndGet();
                return Message.system("x".repeat(400));
            }
            return Message.system("summary of [" + request.fromSequence() + ", " + request.toSequence() + ")");
        }
    }

    /**
     * Records every run by turn service and idempotency key; (b) fails on two overlapping runs of
     * one call in one service. Mostly quick, with a result whose size depends on the key (up to
     * 900 chars, so windows hit their budget); now and then a retryable failure, a run past the
     * timeout, or a hang that ignores interrupts; deletes the session once when a step asks.
     */
    private final class RecordingTool {
        final AtomicInteger runs = new AtomicInteger();
        final Map<String, AtomicInteger> keys = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
        final Map<String, List<long[]>> spans = new ConcurrentHashMap<>();
        Random random;

        Tool forService(String service) {
            return new Tool() {
                @Override
                public ToolSpec spec() {
                    return new ToolSpec(TOOL, "Looks something up.", "{\"type\":\"object\"}");
                }

                @Override
                public ToolOutput run(ToolInvocation invocation) {
                    return RecordingTool.this.run(service, invocation);
                }
            };
        }

        ToolOutput run(String service, ToolInvocation invocation) {
            String key = invocation.idempotencyKey();
            runs.incrementAndGet();
            keys.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            AtomicInteger now = running.computeIfAbsent(service + " " + key, k -> new AtomicInteger());
            long[] span = {System.nanoTime(), 0};
            spans.computeIfAbsent(service + " " + key, k -> new CopyOnWriteArrayList<>()).add(span);
            int concurrent = now.incrementAndGet();
            try {
                if (concurrent > 1) {
                    StringBuilder runsOfCall = new StringBuilder();
                    for (long[] s : spans.get(service + " " + key)) {
                        runsOfCall.append(" [").append(TimeUnit.NANOSECONDS.toMillis(s[0] - span[0])).append(" ms, ")
                                .append(s[1] == 0 ? "running" : TimeUnit.NANOSECONDS.toMillis(s[1] - span[0]) + " ms")
                                .append(']');
                    }
                    violations.add("seed=" + seed + " " + stepName + ": (b) " + concurrent + " runs of call " + key
                            + " at once in turn service " + service + "; its runs (start, end, relative to this one):"
                            + runsOfCall);
                }
                String session = eraseInTool;
                if (session != null && session.equals(invocation.sessionId())) {
                    eraseInTool = null;
                    deletedThisStep = true;
                    List<StoredMessage> before = readAll(session);
                    observer.deleteConversation(session);
                    noteDelete(session, before);
                    log(stepName + ": deleted " + session + " from inside the tool (" + before.size() + " messages)");
                }
                long outage = outageInTool;
                if (outage > 0) {
                    outageInTool = 0;
                    FaultInjectingProxy proxy = clients.get(service.equals("A") ? 0 : 1).proxy();
                    proxy.startRandom(new RandomFaults(seed + runs.get(), 0, 0, 0, 1.0, Duration.ofMillis(1),
                            Duration.ofMillis(1), Duration.ofMillis(2 * outage)));
                    stopLater(clients.get(service.equals("A") ? 0 : 1), outage);
                }
                int draw;
                synchronized (this) {
                    draw = random.nextInt(100);
                }
                if (draw < 6) {
                    throw new ToolException("injected: try again", true, null);
                }
                if (draw < 11) {
                    sleep(TOOL_TIMEOUT.toMillis() + 200, true); // interrupted by the timeout
                } else if (draw < 14) {
                    sleep(TOOL_TIMEOUT.toMillis() + 300, false); // goes on after its timeout
                } else {
                    sleep(draw % 20, true);
                }
                int size = Math.floorMod(key.hashCode(), 900);
                return ToolOutput.text("result of " + key + " " + "r".repeat(size));
            } finally {
                span[1] = System.nanoTime();
                now.decrementAndGet();
            }
        }

        private void sleep(long millis, boolean interruptible) {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            boolean interrupted = false;
            while (System.nanoTime() < until) {
                try {
                    Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
                } catch (InterruptedException e) {
                    if (interruptible) {
                        Thread.currentThread().interrupt();
                        throw new ToolException("interrupted", true, e);
                    }
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
