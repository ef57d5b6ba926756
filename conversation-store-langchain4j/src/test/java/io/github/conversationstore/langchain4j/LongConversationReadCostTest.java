package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandSucceededEvent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the adapter reads does not grow with the conversation: the same operations on a
 * conversation of 100 messages and one of 100,000, counted in commands, documents and reply bytes
 * with a {@link CommandListener} (counts, not time).
 */
class LongConversationReadCostTest {
    private static final int SHORT = 100;
    private static final int LONG = 100_000;

    private static final Counter counter = new Counter();
    private static MongoClient client;
    private static ConversationStore store;

    /** Counts commands, documents returned and reply bytes while on. */
    static final class Counter implements CommandListener {
        final AtomicBoolean on = new AtomicBoolean();
        final AtomicLong commands = new AtomicLong();
        final AtomicLong documents = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();

        @Override
        public void commandSucceeded(CommandSucceededEvent event) {
            if (!on.get()) {
                return;
            }
            BsonDocument reply = event.getResponse();
            commands.incrementAndGet();
            bytes.addAndGet(new RawBsonDocument(reply, new BsonDocumentCodec()).getByteBuffer().remaining());
            if (reply.isDocument("cursor")) {
                BsonDocument cursor = reply.getDocument("cursor");
                for (String batch : List.of("firstBatch", "nextBatch")) {
                    if (cursor.isArray(batch)) {
                        documents.addAndGet(((BsonArray) cursor.get(batch)).size());
                    }
                }
            } else if (reply.isDocument("value")) {
                documents.incrementAndGet();
            }
        }

        Cost measure(Runnable operation) {
            commands.set(0);
            documents.set(0);
            bytes.set(0);
            on.set(true);
            try {
                operation.run();
            } finally {
                on.set(false);
            }
            return new Cost(commands.get(), documents.get(), bytes.get());
        }
    }

    record Cost(long commands, long documents, long bytes) {}

    @BeforeAll
    static void fill() {
        client = Stores.server().client(counter);
        store = MongoConversationStore.builder().client(client).database(Stores.newDatabase()).build();
        for (String session : List.of("short", "long")) {
            int total = session.equals("short") ? SHORT : LONG;
            for (int first = 0; first < total; first += 250) {
                List<Message> batch = new ArrayList<>();
                for (int i = first; i < Math.min(total, first + 250); i++) {
                    String text = String.format(Locale.ROOT, "message %06d of a long conversation about the weather", i);
                    batch.add(i % 2 == 0 ? Message.user(text) : Message.assistant(text));
                }
                store.appendMessages(session, "en", batch);
            }
        }
    }

    @AfterAll
    static void close() {
        store.close();
        client.close();
    }

    private static Cost[] compare(String what, java.util.function.Function<String, Runnable> operation) {
        operation.apply("short").run(); // warm: the first call may create indexes or look up the server
        operation.apply("long").run();
        Cost small = counter.measure(operation.apply("short"));
        Cost large = counter.measure(operation.apply("long"));
        System.out.printf(Locale.ROOT, "%s: %,d messages: %s; %,d messages: %s; bytes ratio %.2f%n", what,
                SHORT, small, LONG, large, (double) large.bytes() / small.bytes());
        return new Cost[] {small, large};
    }

    /**
     * The same commands and documents at both lengths, and the same reply bytes (within 10%) and a
     * sliver of the long conversation's texts. The window's find is byte for byte the same, and the
     * header read (when the system message is older than the window) leaves the store's dedup
     * fingerprints out, so it does not grow either.
     */
    private static void assertFlat(Cost[] costs) {
        Cost small = costs[0];
        Cost large = costs[1];
        assertThat(large.commands()).isEqualTo(small.commands());
        assertThat(large.documents()).isEqualTo(small.documents());
        // the same bytes but for digits of larger sequence numbers and counters
        assertThat((double) large.bytes()).isLessThanOrEqualTo(small.bytes() * 1.1);
        long longTexts = (long) LONG * "message 000000 of a long conversation about the weather".length();
        assertThat(large.bytes()).isLessThan(longTexts / 100);
    }

    @Test
    void getMessages_100000Messages_readsAsMuchAs100() {
        ConversationStoreChatMemoryStore adapter = ConversationStoreChatMemoryStore.builder().store(store).window(20).build();

        Cost[] costs = compare("ChatMemoryStore.getMessages", session -> () ->
                assertThat(adapter.getMessages(session)).hasSize(20));

        assertFlat(costs);
        assertThat(store.findConversation("long").orElseThrow().messageCount()).isGreaterThanOrEqualTo(LONG);
    }

    @Test
    void messageWindowChatMemoryAdd_100000Messages_costsAsMuchAs100() {
        ConversationStoreChatMemoryStore adapter = ConversationStoreChatMemoryStore.builder().store(store).window(20).build();

        Cost[] costs = compare("MessageWindowChatMemory.add (read window, append)", session -> () ->
                MessageWindowChatMemory.builder().id(session).maxMessages(20).chatMemoryStore(adapter).build()
                        .add(UserMessage.from("one more")));

        assertFlat(costs);
    }

    @Test
    void chatMemoryMessagesAndAdd_100000Messages_costAsMuchAs100() {
        ConversationStoreChatMemoryProvider provider = ConversationStoreChatMemoryProvider.builder().store(store).window(20).build();

        Cost[] costs = compare("ChatMemory.messages + add", session -> () -> {
            ChatMemory memory = provider.get(session);
            memory.messages();
            memory.add(UserMessage.from("one more"));
        });

        assertFlat(costs);
    }
}
