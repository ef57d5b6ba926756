package io.github.conversationstore.adk;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.adk.events.Event;
import com.google.adk.events.EventActions;
import com.google.adk.sessions.InMemorySessionService;
import com.google.adk.sessions.Session;
import com.google.genai.types.Content;
import com.google.genai.types.Part;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Sorts;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Two application instances x 4 threads append events to one session, side by side, through four
 * session stores: ADK's {@code InMemorySessionService}, one per instance (what an ADK Java app
 * without a durable service runs); the "several writes, random id" pattern of the Firestore
 * session service in ADK's contrib folder (an event document under a random id, ordered by an ISO
 * timestamp string, then the session document's state read, merged and written back); a whole
 * document per session rewritten on every event (as forks that keep a session in one MongoDB
 * document do); and this adapter. Each write's reply is lost with probability 5% (seeded) after
 * the write was applied, and the thread retries the same event, as a caller that got a timeout
 * would. Every event sets a state key of its own, and is stamped by its instance's clock, the
 * second instance's 20 ms behind the first's.
 *
 * <p>Counted from what the first instance reads afterwards: acknowledged events lost, doubled
 * (extra copies) and out of order (read before an event that was acknowledged before it was even
 * sent), and state keys lost. The figures of the three naive patterns are printed, not
 * asserted: they vary from run to run. This adapter's are asserted to be zero.
 */
class TwoInstancesSideBySideTest {
    private static final int INSTANCES = 2;
    private static final int THREADS = 4;
    private static final int EVENTS_PER_THREAD = 25;
    private static final double LOST_REPLY = 0.05;
    private static final long CLOCK_SKEW_MILLIS = 20;
    private static final String APP = "race";
    private static final String USER = "u1";
    private static final String SESSION = "s1";

    /** One way of storing a session, as two instances of an application share it. */
    interface Pattern extends AutoCloseable {
        String name();

        /** Instance {@code instance}'s thread {@code thread} appends an event (a fresh session object per thread). */
        void append(int instance, int thread, Event event);

        /** The event ids, in the order the first instance reads them. */
        List<String> readEventIds();

        /** The session state the first instance reads. */
        Map<String, Object> readState();

        @Override
        void close();
    }

    /** What one run of a pattern gave. */
    record Figures(String pattern, int acknowledged, int lost, int doubled, int outOfOrder, int stateLost, int errors) {}

    @Test
    void twoInstancesFourThreadsEach_oneSession_sideBySide() throws Exception {
        List<Figures> figures = new ArrayList<>();
        try (Pattern p = new InMemoryPerInstance()) {
            figures.add(race(p, 1));
        }
        try (Pattern p = new SeveralWritesRandomId()) {
            figures.add(race(p, 2));
        }
        try (Pattern p = new WholeDocumentRewrite()) {
            figures.add(race(p, 3));
        }
        try (Pattern p = new Ours()) {
            figures.add(race(p, 4));
        }

        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "%d instances x %d threads x %d events on one session, %.0f%% of replies lost after the write (retried),"
                        + " clocks %d ms apart%n",
                INSTANCES, THREADS, EVENTS_PER_THREAD, LOST_REPLY * 100, CLOCK_SKEW_MILLIS));
        table.append("| session service | acknowledged | lost | doubled | out of order | state keys lost | calls that threw |\n");
        table.append("|---|---|---|---|---|---|---|\n");
        for (Figures f : figures) {
            table.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %d |%n", f.pattern(), f.acknowledged(),
                    f.lost(), f.doubled(), f.outOfOrder(), f.stateLost(), f.errors()));
        }
        System.out.print(table);
        Path out = Path.of("target", "adk-side-by-side.txt");
        try {
            Files.createDirectories(out.getParent());
            Files.writeString(out, table, StandardCharsets.UTF_8);
        } catch (IOException e) {
            // the figures are printed anyway
        }

        int expected = INSTANCES * THREADS * EVENTS_PER_THREAD;
        for (Figures f : figures.subList(0, 3)) {
            // measured, not judged: only that the load ran
            assertThat(f.acknowledged()).isEqualTo(expected);
            assertThat(f.lost() + f.doubled() + f.outOfOrder() + f.stateLost()).isNotNegative();
        }
        assertThat(figures.get(3)).isEqualTo(new Figures("conversation-store (this adapter)", expected, 0, 0, 0, 0, 0));
    }

    private static Figures race(Pattern pattern, long seed) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(INSTANCES * THREADS);
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger errors = new AtomicInteger();
        Map<String, Long> started = new ConcurrentHashMap<>();
        Map<String, Long> acknowledgedAt = new ConcurrentHashMap<>();
        List<Future<List<String>>> acked = new ArrayList<>();
        for (int i = 0; i < INSTANCES; i++) {
            for (int t = 0; t < THREADS; t++) {
                int instance = i;
                int thread = t;
                Random random = new Random(seed * 100 + i * 10 + t);
                acked.add(pool.submit(() -> {
                    start.await();
                    List<String> ids = new ArrayList<>();
                    for (int n = 0; n < EVENTS_PER_THREAD; n++) {
                        Event event = event(instance, thread, n);
                        started.put(event.id(), System.nanoTime());
                        for (int attempt = 0; attempt < 5; attempt++) {
                            try {
                                pattern.append(instance, thread, event);
                            } catch (RuntimeException e) {
                                errors.incrementAndGet(); // a failed call: retried like a lost reply
                                continue;
                            }
                            if (random.nextDouble() >= LOST_REPLY) {
                                acknowledgedAt.put(event.id(), System.nanoTime());
                                ids.add(event.id());
                                break;
                            }
                            // the reply was lost after the write: the caller retries the same event
                        }
                    }
                    return ids;
                }));
            }
        }
        start.countDown();
        List<List<String>> perThread = new ArrayList<>();
        for (Future<List<String>> f : acked) {
            perThread.add(f.get(5, TimeUnit.MINUTES));
        }
        pool.shutdown();

        List<String> read = pattern.readEventIds();
        Map<String, Object> state = pattern.readState();
        Map<String, Integer> copies = new HashMap<>();
        Map<String, Integer> firstPosition = new HashMap<>();
        for (int pos = 0; pos < read.size(); pos++) {
            copies.merge(read.get(pos), 1, Integer::sum);
            firstPosition.putIfAbsent(read.get(pos), pos);
        }
        int acknowledged = 0;
        int lost = 0;
        int doubled = 0;
        int stateLost = 0;
        List<String> all = new ArrayList<>();
        for (int i = 0; i < INSTANCES; i++) {
            for (int t = 0; t < THREADS; t++) {
                List<String> ids = perThread.get(i * THREADS + t);
                for (int n = 0; n < ids.size(); n++) {
                    acknowledged++;
                    String id = ids.get(n);
                    all.add(id);
                    int count = copies.getOrDefault(id, 0);
                    lost += count == 0 ? 1 : 0;
                    doubled += Math.max(0, count - 1);
                    if (!state.containsKey(key(i, t, n))) {
                        stateLost++;
                    }
                }
            }
        }
        // out of order: an event read before one that was acknowledged before it was even sent
        int outOfOrder = 0;
        for (String b : all) {
            Integer posB = firstPosition.get(b);
            if (posB == null) {
                continue;
            }
            for (String a : all) {
                Integer posA = firstPosition.get(a);
                if (posA != null && posB < posA && acknowledgedAt.get(a) < started.get(b)) {
                    outOfOrder++;
                    break;
                }
            }
        }
        return new Figures(pattern.name(), acknowledged, lost, doubled, outOfOrder, stateLost, errors.get());
    }

    private static String key(int instance, int thread, int n) {
        return "k-" + instance + "-" + thread + "-" + n;
    }

    private static Event event(int instance, int thread, int n) {
        // the second instance's clock is 20 ms behind the first's, as two machines' clocks may be
        long now = System.currentTimeMillis() - (instance == 1 ? CLOCK_SKEW_MILLIS : 0);
        return Event.builder().id(Event.generateEventId()).invocationId("inv-" + instance + "-" + thread).timestamp(now)
                .author("agent").content(Content.builder().role("model")
                        .parts(Part.fromText("event " + n + " of thread " + thread + " of instance " + instance)).build())
                .actions(EventActions.builder().stateDelta(new ConcurrentHashMap<>(Map.of(key(instance, thread, n), n)))
                        .build())
                .build();
    }

    /** ADK's in-memory service, one per application instance; each request reads the session, then appends. */
    static final class InMemoryPerInstance implements Pattern {
        private final InMemorySessionService[] services = new InMemorySessionService[INSTANCES];

        InMemoryPerInstance() {
            for (int i = 0; i < INSTANCES; i++) {
                services[i] = new InMemorySessionService();
                services[i].createSession(APP, USER, new HashMap<>(), SESSION).blockingGet();
            }
        }

        @Override
        public String name() {
            return "ADK `InMemorySessionService`, one per instance";
        }

        @Override
        public void append(int instance, int thread, Event event) {
            Session session = services[instance].getSession(APP, USER, SESSION, Optional.empty()).blockingGet();
            services[instance].appendEvent(session, event).blockingGet();
        }

        @Override
        public List<String> readEventIds() {
            return ids(services[0].getSession(APP, USER, SESSION, Optional.empty()).blockingGet().events());
        }

        @Override
        public Map<String, Object> readState() {
            return services[0].getSession(APP, USER, SESSION, Optional.empty()).blockingGet().state();
        }

        @Override
        public void close() {}
    }

    /**
     * The Firestore service's pattern on MongoDB: the event under a random id with an ISO timestamp
     * string, then the session's state read, merged and written back, then its update time; no
     * transaction. Reads order events by the timestamp string, then by document id.
     */
    static final class SeveralWritesRandomId implements Pattern {
        private final MongoClient[] clients = new MongoClient[INSTANCES];
        private final String database = Stores.newDatabase();

        SeveralWritesRandomId() {
            for (int i = 0; i < INSTANCES; i++) {
                clients[i] = Stores.server().client();
            }
            sessions(0).insertOne(new Document("_id", SESSION).append("state", new Document()));
        }

        private MongoCollection<Document> sessions(int instance) {
            return clients[instance].getDatabase(database).getCollection("sessions");
        }

        private MongoCollection<Document> events(int instance) {
            return clients[instance].getDatabase(database).getCollection("events");
        }

        @Override
        public String name() {
            return "several writes, random id (Firestore-style)";
        }

        @Override
        public void append(int instance, int thread, Event event) {
            events(instance).insertOne(new Document("_id", UUID.randomUUID().toString()).append("session", SESSION)
                    .append("eventId", event.id())
                    .append("timestamp", Instant.ofEpochMilli(event.timestamp()).toString())
                    .append("event", event.toJson()));
            Document session = sessions(instance).find(Filters.eq("_id", SESSION)).first();
            Document state = new Document(session.get("state", Document.class));
            event.actions().stateDelta().forEach(state::put);
            sessions(instance).replaceOne(Filters.eq("_id", SESSION), new Document("_id", SESSION).append("state", state)
                    .append("lastUpdateTime", session.get("lastUpdateTime")));
            sessions(instance).updateOne(Filters.eq("_id", SESSION),
                    new Document("$set", new Document("lastUpdateTime", Instant.ofEpochMilli(event.timestamp()).toString())));
        }

        @Override
        public List<String> readEventIds() {
            List<String> ids = new ArrayList<>();
            for (Document d : events(0).find(Filters.eq("session", SESSION)).sort(Sorts.ascending("timestamp", "_id"))) {
                ids.add(d.getString("eventId"));
            }
            return ids;
        }

        @Override
        public Map<String, Object> readState() {
            return new LinkedHashMap<>(sessions(0).find(Filters.eq("_id", SESSION)).first().get("state", Document.class));
        }

        @Override
        public void close() {
            for (MongoClient c : clients) {
                c.close();
            }
        }
    }

    /** One document per session holding every event and the state, read, changed and replaced whole. */
    static final class WholeDocumentRewrite implements Pattern {
        private final MongoClient[] clients = new MongoClient[INSTANCES];
        private final String database = Stores.newDatabase();

        WholeDocumentRewrite() {
            for (int i = 0; i < INSTANCES; i++) {
                clients[i] = Stores.server().client();
            }
            sessions(0).insertOne(new Document("_id", SESSION).append("events", new ArrayList<>())
                    .append("state", new Document()));
        }

        private MongoCollection<Document> sessions(int instance) {
            MongoDatabase db = clients[instance].getDatabase(database);
            return db.getCollection("sessions");
        }

        @Override
        public String name() {
            return "one document per session, rewritten whole";
        }

        @Override
        public void append(int instance, int thread, Event event) {
            Document session = sessions(instance).find(Filters.eq("_id", SESSION)).first();
            List<Document> events = new ArrayList<>(session.getList("events", Document.class));
            events.add(new Document("id", event.id()).append("json", event.toJson()));
            Document state = new Document(session.get("state", Document.class));
            event.actions().stateDelta().forEach(state::put);
            sessions(instance).replaceOne(Filters.eq("_id", SESSION), new Document("_id", SESSION).append("events", events)
                    .append("state", state), new ReplaceOptions().upsert(true));
        }

        @Override
        public List<String> readEventIds() {
            List<String> ids = new ArrayList<>();
            for (Document d : sessions(0).find(Filters.eq("_id", SESSION)).first().getList("events", Document.class)) {
                ids.add(d.getString("id"));
            }
            return ids;
        }

        @Override
        public Map<String, Object> readState() {
            return new LinkedHashMap<>(sessions(0).find(Filters.eq("_id", SESSION)).first().get("state", Document.class));
        }

        @Override
        public void close() {
            for (MongoClient c : clients) {
                c.close();
            }
        }
    }

    /** This adapter: one store (one MongoClient) per instance, each thread with the session it read. */
    static final class Ours implements Pattern {
        private final ConversationStore[] stores = new ConversationStore[INSTANCES];
        private final ConversationStoreSessionService[] services = new ConversationStoreSessionService[INSTANCES];
        private final Map<String, Session> sessions = new ConcurrentHashMap<>();

        Ours() {
            String database = Stores.newDatabase();
            for (int i = 0; i < INSTANCES; i++) {
                stores[i] = MongoConversationStore.builder().connectionString(Stores.server().connectionString())
                        .database(database).build();
                services[i] = ConversationStoreSessionService.builder(stores[i]).build();
            }
            services[0].createSession(APP, USER, new HashMap<>(), SESSION).blockingGet();
        }

        @Override
        public String name() {
            return "conversation-store (this adapter)";
        }

        @Override
        public void append(int instance, int thread, Event event) {
            Session session = sessions.computeIfAbsent(instance + "/" + thread,
                    k -> services[instance].getSession(APP, USER, SESSION, Optional.empty()).blockingGet());
            services[instance].appendEvent(session, event).blockingGet();
        }

        @Override
        public List<String> readEventIds() {
            List<String> first = ids(services[0].getSession(APP, USER, SESSION, Optional.empty()).blockingGet().events());
            List<String> second = ids(services[1].getSession(APP, USER, SESSION, Optional.empty()).blockingGet().events());
            // one order for every reader
            assertThat(second).isEqualTo(first);
            return first;
        }

        @Override
        public Map<String, Object> readState() {
            return services[0].getSession(APP, USER, SESSION, Optional.empty()).blockingGet().state();
        }

        @Override
        public void close() {
            for (ConversationStore s : stores) {
                s.close();
            }
        }
    }

    private static List<String> ids(List<Event> events) {
        List<String> ids = new ArrayList<>(events.size());
        for (Event e : events) {
            ids.add(e.id());
        }
        return Collections.unmodifiableList(ids);
    }
}
