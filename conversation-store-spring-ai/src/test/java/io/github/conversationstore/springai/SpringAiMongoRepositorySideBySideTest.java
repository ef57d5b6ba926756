package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.springai.testing.ConcurrentLoad;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.springai.testing.ReplyBytes;
import java.util.Locale;
import org.bson.Document;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.UserMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.memory.repository.mongo.MongoChatMemoryRepository;
import org.springframework.data.mongodb.core.MongoTemplate;

/**
 * The same two-instance load on Spring AI's own MongoChatMemoryRepository (1.1.x only: the 2.0 line
 * of it is not published here), measured beside ours. Theirs is not asserted to lose: the figures
 * are printed and written to target/spring-ai-side-by-side.txt. No tool rounds: their repository
 * throws when it reads a stored tool response message.
 */
class SpringAiMongoRepositorySideBySideTest {
    private static final List<String> REPORT = new ArrayList<>();

    @AfterAll
    static void writeReport() throws IOException {
        Files.createDirectories(Path.of("target"));
        Files.write(Path.of("target/spring-ai-side-by-side.txt"), REPORT);
    }

    private static void report(String line) {
        System.out.println(line);
        REPORT.add(line);
    }

    /** Their repository's load: two instances, each its own MongoClient and template on one server. */
    private static ConcurrentLoad.Outcome theirs(int maxMessages) throws Exception {
        try (EmbeddedMongo server = new EmbeddedMongo();
                MongoClient first = MongoClients.create(server.connectionString());
                MongoClient second = MongoClients.create(server.connectionString())) {
            List<ChatMemory> instances = new ArrayList<>();
            for (MongoClient client : List.of(first, second)) {
                MongoChatMemoryRepository repository = MongoChatMemoryRepository.builder()
                        .mongoTemplate(new MongoTemplate(client, "springai")).build();
                instances.add(MessageWindowChatMemory.builder().chatMemoryRepository(repository).maxMessages(maxMessages).build());
            }
            ConcurrentLoad.Plan plan = ConcurrentLoad.run(instances, TwoInstancesConcurrencyTest.THREADS,
                    TwoInstancesConcurrencyTest.TURNS, false, "shared");
            List<String> keys = new ArrayList<>();
            for (Document doc : first.getDatabase("springai").getCollection("ai_chat_memory")
                    .find(new Document("conversationId", "shared"))) {
                keys.add(doc.get("message", Document.class).getString("content"));
            }
            return ConcurrentLoad.judge(plan, keys);
        }
    }

    @Test
    void twoInstancesManyThreads_oursLosesNothing_theirsMeasured() throws Exception {
        ConcurrentLoad.Plan[] plan = new ConcurrentLoad.Plan[1];
        List<StoredMessage> stored = TwoInstancesConcurrencyTest.runOnTwoInstances(store -> MessageWindowChatMemory.builder()
                .chatMemoryRepository(ConversationStoreChatMemoryRepository.builder(store).build()).build(), false, plan);
        ConcurrentLoad.Outcome ours = ConcurrentLoad.judge(plan[0], TwoInstancesConcurrencyTest.keys(stored));
        ConcurrentLoad.Outcome theirsLargeWindow = theirs(10_000);
        ConcurrentLoad.Outcome theirsDefaultWindow = theirs(20);

        report("2 instances x " + TwoInstancesConcurrencyTest.THREADS + " threads x " + TwoInstancesConcurrencyTest.TURNS
                + " turns (user message, then reply), one conversation, MessageWindowChatMemory on each repository:");
        report("  conversation-store repository (window 20):            " + ours);
        report("  Spring AI MongoChatMemoryRepository (window 10,000):  " + theirsLargeWindow);
        report("  Spring AI MongoChatMemoryRepository (window 20):      " + theirsDefaultWindow);

        assertThat(ours.lost()).isZero();
        assertThat(ours.doubled()).isZero();
        assertThat(ours.stored()).isEqualTo(ours.expected());
        // theirs is measured and printed, not asserted: its races make every run different (one run
        // here kept 40 documents with a window of 20)
    }

    @Test
    void readCost_atLength_oursFlatTheirsGrows() {
        ReplyBytes bytes = new ReplyBytes();
        try (EmbeddedMongo server = new EmbeddedMongo();
                MongoClient client = MongoClients.create(MongoClientSettings.builder()
                        .applyConnectionString(new ConnectionString(server.connectionString()))
                        .addCommandListener(bytes).build());
                ConversationStore store = MongoConversationStore.builder().client(client).database("ours").build()) {
            MongoChatMemoryRepository theirs = MongoChatMemoryRepository.builder()
                    .mongoTemplate(new MongoTemplate(client, "springai")).build();
            ConversationStoreChatMemoryRepository ours = ConversationStoreChatMemoryRepository.builder(store).build();
            long[] theirsBytes = new long[2];
            long[] oursBytes = new long[2];
            int[] lengths = {1_000, 10_000};
            for (int i = 0; i < lengths.length; i++) {
                String id = "c" + lengths[i];
                List<Message> messages = new ArrayList<>();
                for (int n = 0; n < lengths[i]; n++) {
                    messages.add(n % 2 == 0 ? new UserMessage("question number " + n + " about the subjunctive mood")
                            : new AssistantMessage("answer number " + n + ": after wishes and doubts"));
                }
                theirs.saveAll(id, messages);
                ReadCostAtLengthTest.fill(store, id, lengths[i]);
                theirsBytes[i] = bytes.measure(() -> theirs.findByConversationId(id)).replyBytes();
                oursBytes[i] = bytes.measure(() -> ours.findByConversationId(id)).replyBytes();
            }
            report(String.format(Locale.ROOT, "findByConversationId reply bytes at 1,000 / 10,000 messages:"
                    + " conversation-store %,d / %,d (%.2fx, window of 20); Spring AI MongoChatMemoryRepository %,d / %,d"
                    + " (%.2fx, whole history)", oursBytes[0], oursBytes[1], (double) oursBytes[1] / oursBytes[0],
                    theirsBytes[0], theirsBytes[1], (double) theirsBytes[1] / theirsBytes[0]));
            assertThat(oursBytes[1]).isLessThan(oursBytes[0] * 3 / 2);
            assertThat(theirsBytes[1]).isGreaterThan(oursBytes[1] * 10);
        }
    }
}
