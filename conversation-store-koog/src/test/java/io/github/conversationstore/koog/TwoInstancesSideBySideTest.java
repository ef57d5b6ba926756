package io.github.conversationstore.koog;

import static org.assertj.core.api.Assertions.assertThat;

import ai.koog.agents.chatMemory.feature.ChatHistoryProvider;
import ai.koog.agents.chatMemory.feature.InMemoryChatHistoryProvider;
import ai.koog.prompt.message.Message;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOptions;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import kotlin.coroutines.Continuation;
import kotlin.coroutines.EmptyCoroutineContext;
import kotlinx.coroutines.BuildersKt;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Two application instances x 4 threads run an agent on one conversation, as Koog's
 * {@code ChatMemory} drives a provider (load when a run starts, store the whole prompt when it
 * completes), side by side: Koog's {@code InMemoryChatHistoryProvider}, one per instance; a MongoDB
 * provider that replaces the conversation's list (one document), as a provider that implements
 * {@code store} literally does; and this adapter. Counted afterwards: runs whose question is lost,
 * and extra copies. The naive figures are printed, not asserted; this adapter's are asserted zero.
 */
class TwoInstancesSideBySideTest {
    private static final int INSTANCES = 2;
    private static final int THREADS = 4;
    private static final int RUNS = 10;

    /** A provider that keeps the list as one MongoDB document, replaced on every store. */
    static final class ReplacingMongoProvider implements ChatHistoryProvider {
        private final MongoCollection<Document> histories;

        ReplacingMongoProvider(MongoClient client, String database) {
            this.histories = client.getDatabase(database).getCollection("histories");
        }

        @Override
        public Object store(String conversationId, List<? extends Message> messages, Continuation<? super kotlin.Unit> c) {
            List<String> json = new ArrayList<>();
            for (Message m : messages) {
                json.add(KoogCodec.json(m));
            }
            histories.replaceOne(Filters.eq("_id", conversationId), new Document("_id", conversationId)
                    .append("messages", json), new ReplaceOptions().upsert(true));
            return kotlin.Unit.INSTANCE;
        }

        @Override
        public Object load(String conversationId, Continuation<? super List<? extends Message>> c) {
            Document d = histories.find(Filters.eq("_id", conversationId)).first();
            List<Message> out = new ArrayList<>();
            if (d != null) {
                for (String json : d.getList("messages", String.class)) {
                    out.add(kotlinx.serialization.json.Json.Default.decodeFromString(Message.Companion.serializer(), json));
                }
            }
            return out;
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Message> load(ChatHistoryProvider provider, String id) throws InterruptedException {
        return (List<Message>) BuildersKt.runBlocking(EmptyCoroutineContext.INSTANCE,
                (scope, continuation) -> provider.load(id, (Continuation<? super List<? extends Message>>) continuation));
    }

    private static void store(ChatHistoryProvider provider, String id, List<Message> messages) throws InterruptedException {
        BuildersKt.runBlocking(EmptyCoroutineContext.INSTANCE,
                (scope, continuation) -> provider.store(id, messages, (Continuation<? super kotlin.Unit>) continuation));
    }

    /** Runs the load; returns the questions read back afterwards, in order (copies included). */
    private static List<String> race(ChatHistoryProvider[] providers, java.util.function.Supplier<List<String>> readBack)
            throws Exception {
        store(providers[0], "c", List.of(ChatHistoryProviderTest.system("Be brief.")));
        ExecutorService pool = Executors.newFixedThreadPool(INSTANCES * THREADS);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < INSTANCES; i++) {
            for (int t = 0; t < THREADS; t++) {
                ChatHistoryProvider provider = providers[i];
                String who = i + "-" + t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int n = 0; n < RUNS; n++) {
                        List<Message> prompt = new ArrayList<>(load(provider, "c"));
                        prompt.add(ChatHistoryProviderTest.user("q " + who + "-" + n));
                        prompt.add(ChatHistoryProviderTest.assistant("a " + who + "-" + n));
                        store(provider, "c", prompt);
                    }
                    return null;
                }));
            }
        }
        start.countDown();
        for (Future<?> f : done) {
            f.get(5, TimeUnit.MINUTES);
        }
        pool.shutdown();
        return readBack.get();
    }

    private static List<String> questions(List<Message> messages) {
        List<String> out = new ArrayList<>();
        for (Message m : messages) {
            String text = m.textContent();
            if (text.startsWith("q ")) {
                out.add(text);
            }
        }
        return out;
    }

    @Test
    void twoInstancesFourThreadsEach_oneConversation_sideBySide() throws Exception {
        Map<String, int[]> figures = new java.util.LinkedHashMap<>();

        InMemoryChatHistoryProvider[] inMemory = {new InMemoryChatHistoryProvider(), new InMemoryChatHistoryProvider()};
        figures.put("Koog `InMemoryChatHistoryProvider`, one per instance", count(race(inMemory, () -> {
            try {
                return questions(load(inMemory[0], "c"));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        })));

        String database = Stores.newDatabase();
        try (MongoClient a = Stores.server().client(); MongoClient b = Stores.server().client()) {
            ReplacingMongoProvider[] replacing = {new ReplacingMongoProvider(a, database), new ReplacingMongoProvider(b, database)};
            figures.put("MongoDB, the list replaced on every store", count(race(replacing, () -> {
                try {
                    return questions(load(replacing[0], "c"));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            })));
        }

        String ours = Stores.newDatabase();
        try (ConversationStore a = MongoConversationStore.builder().connectionString(Stores.server().connectionString())
                        .database(ours).build();
                ConversationStore b = MongoConversationStore.builder().connectionString(Stores.server().connectionString())
                        .database(ours).build()) {
            ChatHistoryProvider[] providers = {
                ConversationStoreChatHistoryProvider.builder(a).window(20).build(),
                ConversationStoreChatHistoryProvider.builder(b).window(20).build()};
            figures.put("conversation-store (this adapter)", count(race(providers, () -> {
                List<Message> all = new ArrayList<>();
                for (StoredMessage m : a.readMessages("c", 0, 1000)) {
                    all.add(KoogCodec.toKoog(m.message()));
                }
                return questions(all);
            })));
        }

        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "%d instances x %d threads x %d runs on one conversation (%d runs)%n", INSTANCES, THREADS, RUNS,
                INSTANCES * THREADS * RUNS));
        table.append("| chat history provider | runs kept | runs lost | extra copies |\n|---|---|---|---|\n");
        figures.forEach((name, f) -> table.append(String.format(Locale.ROOT, "| %s | %d | %d | %d |%n", name, f[0], f[1], f[2])));
        System.out.print(table);

        int[] mine = figures.get("conversation-store (this adapter)");
        assertThat(mine).containsExactly(INSTANCES * THREADS * RUNS, 0, 0);
        for (int[] f : figures.values()) {
            assertThat(f[0] + f[1]).isEqualTo(INSTANCES * THREADS * RUNS); // measured, not judged
        }
    }

    /** {kept, lost, extra copies} of the runs' questions. */
    private static int[] count(List<String> questions) {
        Map<String, Integer> copies = new HashMap<>();
        questions.forEach(q -> copies.merge(q, 1, Integer::sum));
        int kept = copies.size();
        int extra = questions.size() - kept;
        return new int[] {kept, INSTANCES * THREADS * RUNS - kept, extra};
    }
}
