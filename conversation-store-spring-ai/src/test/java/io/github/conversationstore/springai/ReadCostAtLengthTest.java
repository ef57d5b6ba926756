package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.MongoClientSettings;
import com.mongodb.ConnectionString;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.springai.testing.CountingStore;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.springai.testing.ReplyBytes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * Reads stay flat: at 100,000 messages the adapter decodes and receives what it does at 100, the
 * window. Counted in messages decoded and reply bytes, not time.
 */
class ReadCostAtLengthTest {
    static final int LONG = 100_000;
    static final int SHORT = 100;

    /** Fills a conversation with {@code count} messages of about 100 bytes, 250 per append. */
    static void fill(ConversationStore store, String conversationId, int count) {
        for (int from = 0; from < count; from += 250) {
            List<Message> batch = new ArrayList<>();
            for (int i = from; i < Math.min(count, from + 250); i++) {
                batch.add(i % 2 == 0 ? Message.user("question number " + i + " about the subjunctive mood in Spanish")
                        : Message.assistant("answer number " + i + ": use it after expressions of wish and doubt"));
            }
            store.appendMessages(AppendRequest.builder(conversationId, "en").messages(batch).build());
        }
    }

    private record Costs(ReplyBytes.Cost get, ReplyBytes.Cost find, ReplyBytes.Cost windowAdd, long decoded) {}

    private static Costs measure(ReplyBytes bytes, CountingStore store, String conversationId) {
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder(store).build();
        ConversationStoreChatMemoryRepository repository = ConversationStoreChatMemoryRepository.builder(store).build();
        ChatMemory window = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        store.messagesRead.set(0);
        ReplyBytes.Cost get = bytes.measure(() -> assertThat(memory.get(conversationId)).hasSize(20));
        ReplyBytes.Cost find = bytes.measure(() -> assertThat(repository.findByConversationId(conversationId)).hasSize(20));
        ReplyBytes.Cost add = bytes.measure(() -> window.add(conversationId, new UserMessage("one more")));
        return new Costs(get, find, add, store.messagesRead.get());
    }

    @Test
    void reads_100000Messages_costWhatTheyCostAt100() {
        ReplyBytes bytes = new ReplyBytes();
        try (EmbeddedMongo server = new EmbeddedMongo();
                MongoClient client = MongoClients.create(MongoClientSettings.builder()
                        .applyConnectionString(new ConnectionString(server.connectionString()))
                        .addCommandListener(bytes).build());
                CountingStore store = new CountingStore(
                        MongoConversationStore.builder().client(client).database("length").build())) {
            fill(store, "short", SHORT);
            fill(store, "long", LONG);
            assertThat(store.findConversation("long").orElseThrow().messageCount()).isEqualTo(LONG);

            Costs atShort = measure(bytes, store, "short");
            Costs atLong = measure(bytes, store, "long");

            System.out.printf(Locale.ROOT, "reply bytes at %,d vs %,d messages: get %d vs %d (%.2fx), findByConversationId"
                    + " %d vs %d (%.2fx), MessageWindowChatMemory.add %d vs %d (%.2fx); messages decoded %d vs %d%n",
                    LONG, SHORT, atLong.get().replyBytes(), atShort.get().replyBytes(),
                    (double) atLong.get().replyBytes() / atShort.get().replyBytes(),
                    atLong.find().replyBytes(), atShort.find().replyBytes(),
                    (double) atLong.find().replyBytes() / atShort.find().replyBytes(),
                    atLong.windowAdd().replyBytes(), atShort.windowAdd().replyBytes(),
                    (double) atLong.windowAdd().replyBytes() / atShort.windowAdd().replyBytes(),
                    atLong.decoded(), atShort.decoded());
            // get, find and the add's find: 20 messages each, whatever the length
            assertThat(atLong.decoded()).isEqualTo(atShort.decoded()).isEqualTo(60);
            assertThat(atLong.get().replyBytes()).isLessThan(atShort.get().replyBytes() * 3 / 2);
            assertThat(atLong.find().replyBytes()).isLessThan(atShort.find().replyBytes() * 3 / 2);
            assertThat(atLong.windowAdd().replyBytes()).isLessThan(atShort.windowAdd().replyBytes() * 3 / 2);
            assertThat(atLong.windowAdd().commands()).isLessThanOrEqualTo(atShort.windowAdd().commands() + 1);
        }
    }
}
