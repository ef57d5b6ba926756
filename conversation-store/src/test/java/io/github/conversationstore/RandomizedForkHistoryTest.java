package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.testing.FaultInjectingProxy.RandomFaults;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A seeded, randomized history of a family of conversations (issue 23): new conversations,
 * appends to any of them, forks of any of them at any point (forks of forks included), deletions
 * of parents and forks alike, the retention TTL index removing heads (on MongoDB, with the sweep),
 * and on one backend lost replies and reset connections injected by a proxy, every operation
 * retried with the same arguments until it completes. A simple model (the texts each live
 * conversation reads) is compared after every step with what the store answers, and at every
 * check with what it stores:
 * <ol>
 *   <li>each branch reads dense and ordered, exactly its model (pages of every size, windows);</li>
 *   <li>shared prefixes are identical: a fork reads its parent's messages as they were at the fork;</li>
 *   <li>nothing erased is stored: every text the raw storage holds is read by a live conversation;</li>
 *   <li>nothing referenced is lost: every live conversation reads whole after every deletion.</li>
 * </ol>
 * The seed is in the test's name; a failure names the step and the operation.
 */
class RandomizedForkHistoryTest {
    private static EmbeddedMongo server;

    @BeforeAll
    static void start() {
        server = new EmbeddedMongo();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The model: what each live conversation reads, and the fork each was made as. */
    private static final class Model {
        final Map<String, List<String>> live = new LinkedHashMap<>();
        final Set<String> written = new HashSet<>();
        int sessions;
        int texts;
    }

    @ParameterizedTest(name = "{0}, seed {1}")
    @CsvSource({"memory, 1", "memory, 2", "memory, 3", "mongo, 11", "mongo, 12", "mongo, 13", "mongo-faults, 21"})
    void randomHistory_ofForksAppendsAndDeletions_keepsEveryBranchWhole_andNothingErased(String backend, long seed)
            throws Exception {
        Random random = new Random(seed);
        FaultInjectingProxy proxy = backend.equals("mongo-faults") ? new FaultInjectingProxy(server.port()) : null;
        MongoClient client = backend.equals("memory") ? null : proxy != null ? proxy.client() : server.client();
        MongoClient raw = backend.equals("memory") ? null : server.client();
        String database = "forkhistory_" + seed + "_" + System.nanoTime();
        ConversationStore store = backend.equals("memory") ? InMemoryConversationStore.create()
                : MongoConversationStore.builder().client(client).database(database).collection("c")
                        .maxHeadMessages(4).maxHeadBytes(4096).operationTimeout(Duration.ofSeconds(5)).build();
        Model model = new Model();
        try {
            if (proxy != null) {
                proxy.startRandom(new RandomFaults(random.nextLong(), 0.01, 0, 0.01, 0,
                        Duration.ZERO, Duration.ZERO, Duration.ZERO));
            }
            // faults cost reconnections and backoffs: fewer steps there
            int steps = proxy == null ? 220 : 120;
            for (int step = 0; step < steps; step++) {
                String op = step(store, raw, database, model, random);
                String where = "seed " + seed + ", step " + step + " (" + op + ")";
                if (step % 20 == 19) {
                    checkAll(store, raw, database, model, where, proxy);
                } else if (!model.live.isEmpty()) {
                    String s = pick(model.live.keySet(), random);
                    assertThat(retried(() -> texts(store, s))).as(where + ": " + s).containsExactlyElementsOf(model.live.get(s));
                }
            }
            checkAll(store, raw, database, model, "seed " + seed + ", the end", proxy);
        } finally {
            if (proxy != null) {
                proxy.stopRandom();
            }
            store.close();
            if (client != null) {
                client.close();
            }
            if (raw != null) {
                raw.close();
            }
            if (proxy != null) {
                proxy.close();
            }
        }
    }

    private static String step(ConversationStore store, MongoClient raw, String database, Model model, Random random) {
        int dice = random.nextInt(100);
        if (model.live.isEmpty() || dice < 10) {
            String s = "s" + model.sessions++;
            List<String> texts = new ArrayList<>();
            model.live.put(s, texts);
            append(store, model, s, 1 + random.nextInt(6));
            return "new " + s;
        }
        String s = pick(model.live.keySet(), random);
        if (dice < 50) {
            append(store, model, s, 1 + random.nextInt(3));
            return "append to " + s;
        }
        if (dice < 75) {
            List<String> texts = model.live.get(s);
            long at = random.nextInt(texts.size() + 1);
            String child = "s" + model.sessions++;
            ConversationHeader header = retried(() -> store.fork(s, at, child));
            assertThat(header.forkedFrom().atSequence()).isEqualTo(at);
            model.live.put(child, new ArrayList<>(texts.subList(0, (int) at)));
            return "fork " + s + " at " + at + " into " + child;
        }
        if (dice < 88 || raw == null) {
            retried(() -> store.deleteConversation(s));
            model.live.remove(s);
            return "delete " + s;
        }
        // the TTL monitor removes the head (its references look left over: aged past the grace)
        MongoDatabase db = raw.getDatabase(database);
        db.getCollection("c").deleteOne(new Document("sessionId", s));
        db.getCollection("c_forks").updateMany(new Document("child", s),
                new Document("$set", new Document("createdAt", new java.util.Date(0))));
        model.live.remove(s);
        return "expire " + s;
    }

    private static void append(ConversationStore store, Model model, String s, int count) {
        for (int i = 0; i < count; i++) {
            String text = "m" + model.texts++;
            AppendRequest request = AppendRequest.builder(s, "en").appendId("a-" + text)
                    .messages(i % 2 == 0 ? Message.user(text) : Message.assistant(text)).build();
            retried(() -> store.appendMessages(request));
            model.live.get(s).add(text);
            model.written.add(text);
        }
    }

    private static void checkAll(ConversationStore store, MongoClient raw, String database, Model model, String where,
            FaultInjectingProxy proxy) {
        if (proxy != null) {
            proxy.stopRandom();
        }
        if (store instanceof MongoConversationStore mongo) {
            mongo.removeOrphanedArchives(); // what the TTL monitor left behind
        }
        Set<String> readable = new HashSet<>();
        for (Map.Entry<String, List<String>> e : model.live.entrySet()) {
            List<String> expected = e.getValue();
            readable.addAll(expected);
            assertThat(texts(store, e.getKey())).as(where + ": " + e.getKey() + " reads whole").containsExactlyElementsOf(expected);
            int n = expected.size();
            for (int limit : new int[] {1, 3, 9, 40}) {
                assertThat(store.recentMessages(e.getKey(), limit)).extracting(StoredMessage::text)
                        .as(where + ": window of " + limit + " of " + e.getKey())
                        .containsExactlyElementsOf(expected.subList(Math.max(0, n - limit), n));
            }
            if (n > 0) {
                assertThat(store.findConversation(e.getKey()).orElseThrow().messageCount()).isEqualTo(n);
            }
        }
        Set<String> stored = stored(store, raw, database, model.written);
        Set<String> erased = new TreeSet<>(stored);
        erased.removeAll(readable);
        assertThat(erased).as(where + ": stored, though no live conversation reads them").isEmpty();
        if (proxy != null) {
            proxy.startRandom(new RandomFaults(new Random(model.texts).nextLong(), 0.01, 0, 0.01, 0,
                    Duration.ZERO, Duration.ZERO, Duration.ZERO));
        }
    }

    /** Which of the written texts the storage still holds (raw documents on MongoDB). */
    private static Set<String> stored(ConversationStore store, MongoClient raw, String database, Set<String> written) {
        if (store instanceof InMemoryConversationStore memory) {
            Set<String> held = new TreeSet<>(memory.heldTexts());
            held.retainAll(written);
            return held;
        }
        Set<String> found = new TreeSet<>();
        MongoDatabase db = raw.getDatabase(database);
        for (String name : db.listCollectionNames()) {
            for (RawBsonDocument doc : db.getCollection(name, RawBsonDocument.class).find()) {
                String json = doc.toJson();
                for (String text : written) {
                    if (json.contains("\"" + text + "\"")) {
                        found.add(text);
                    }
                }
            }
        }
        return found;
    }

    private static List<String> texts(ConversationStore store, String sessionId) {
        List<String> out = new ArrayList<>();
        long next = 0;
        while (true) {
            List<StoredMessage> page = store.readMessages(sessionId, next, 5);
            for (StoredMessage m : page) {
                assertThat(m.sequence()).as("dense and ordered").isEqualTo(next++);
                out.add(m.text());
            }
            if (page.size() < 5) {
                return out;
            }
        }
    }

    /** Runs an idempotent operation until it completes: a lost reply or a reset is retried with the same arguments. */
    private static <T> T retried(Supplier<T> operation) {
        ConversationStoreUnavailableException last = null;
        for (int attempt = 0; attempt < 30; attempt++) {
            try {
                return operation.get();
            } catch (ConversationStoreUnavailableException e) {
                last = e;
            }
        }
        throw last;
    }

    private static String pick(Set<String> keys, Random random) {
        List<String> list = new ArrayList<>(keys);
        return list.get(random.nextInt(list.size()));
    }
}
