package io.github.conversationstore.langchain4j;

import io.github.conversationstore.testing.EmbeddedMongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import dev.langchain4j.service.AiServices;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Two application instances (two MongoClients, two adapters, two AI services) on one embedded
 * MongoDB server, several threads each, all talking in one conversation through AiServices with a
 * tool: no message lost or doubled, every tool call right before its result.
 */
class TwoInstancesTest {
    private static final int THREADS_PER_INSTANCE = 4;
    private static final int TURNS_PER_THREAD = 10;

    @ParameterizedTest
    @EnumSource(AiServicesTest.Memory.class)
    void chat_twoInstancesManyThreadsOneConversation_loseAndDoubleNothing(AiServicesTest.Memory memory)
            throws Exception {
        EmbeddedMongo server = Stores.server();
        String database = Stores.newDatabase();
        try (MongoClient clientA = server.client();
                MongoClient clientB = server.client();
                ConversationStore storeA = MongoConversationStore.builder().client(clientA).database(database).build();
                ConversationStore storeB = MongoConversationStore.builder().client(clientB).database(database).build()) {
            List<Scripted.Assistant> instances = new ArrayList<>();
            for (ConversationStore store : List.of(storeA, storeB)) {
                instances.add(AiServices.builder(Scripted.Assistant.class)
                        .chatModel(new Scripted.Model())
                        // a window large enough that a turn still sees its own tool result after the
                        // other threads' messages (8 writers add at most 4 messages each meanwhile)
                        .chatMemoryProvider(memory.provider(store, 100))
                        .tools(new Scripted.WeatherTools())
                        .build());
            }
            List<String> cities = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(2 * THREADS_PER_INSTANCE);
            List<Future<?>> done = new ArrayList<>();
            for (int instance = 0; instance < 2; instance++) {
                for (int thread = 0; thread < THREADS_PER_INSTANCE; thread++) {
                    Scripted.Assistant assistant = instances.get(instance);
                    List<String> mine = new ArrayList<>();
                    for (int turn = 0; turn < TURNS_PER_THREAD; turn++) {
                        mine.add("city-" + instance + "-" + thread + "-" + turn);
                    }
                    cities.addAll(mine);
                    done.add(pool.submit(() -> {
                        for (String city : mine) {
                            assertThat(assistant.chat("shared", city)).isEqualTo("The weather: sunny in " + city);
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();

            Conversations.Report report = Conversations.check(Conversations.all(storeA, "shared"), cities);
            System.out.printf("two instances x %d threads, %s: %s%n", THREADS_PER_INSTANCE, memory, report);
            Conversations.assertWhole(Conversations.all(storeB, "shared"), cities);
        }
    }
}
