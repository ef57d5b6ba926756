package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.memory.ChatMemory;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.Summary;
import io.github.conversationstore.testing.ForwardingConversationStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A token-window {@code messages()} reads the summaries and the tail only: at 20,000 messages it reads as
 * many stored messages as at 100 (counted in messages the store hands out, not time).
 */
class TokenWindowReadCostTest {

    /** Counts the messages the store hands out; forwards the summaries, so that windows see them. */
    private static final class Counting extends ForwardingConversationStore {
        final AtomicLong messagesRead = new AtomicLong();

        Counting(ConversationStore delegate) {
            super(delegate);
        }

        @Override
        public List<StoredMessage> recentMessages(String sessionId, int limit) {
            List<StoredMessage> messages = super.recentMessages(sessionId, limit);
            messagesRead.addAndGet(messages.size());
            return messages;
        }

        @Override
        public List<StoredMessage> readMessages(String sessionId, long fromSequence, int limit) {
            List<StoredMessage> messages = super.readMessages(sessionId, fromSequence, limit);
            messagesRead.addAndGet(messages.size());
            return messages;
        }

        @Override
        public Summary writeSummary(String sessionId, Summary summary) {
            return delegate.writeSummary(sessionId, summary);
        }

        @Override
        public List<Summary> summaries(String sessionId) {
            return delegate.summaries(sessionId);
        }
    }

    /** Fills a conversation with {@code count} messages of about 100 bytes, 250 per append. */
    private static void fill(ConversationStore store, String id, int count) {
        for (int from = 0; from < count; from += 250) {
            List<Message> batch = new ArrayList<>();
            for (int i = from; i < Math.min(count, from + 250); i++) {
                batch.add(i % 2 == 0 ? Message.user("question number " + i + " about the subjunctive mood in Spanish")
                        : Message.assistant("answer number " + i + ": use it after expressions of wish and doubt"));
            }
            store.appendMessages(AppendRequest.builder(id, "es").messages(batch).build());
        }
    }

    private static long read(Counting store, String id, int length) {
        fill(store, id, length);
        store.writeSummary(id, Summary.of(0, length - 50, "summary", 20));
        ChatMemory memory = ConversationStoreChatMemory.builder().store(store).id(id).tokenBudget(400).build();
        store.messagesRead.set(0);
        List<ChatMessage> window = memory.messages();
        assertThat(((SystemMessage) window.get(0)).text()).startsWith("Summary of the earlier conversation");
        assertThat(window).hasSizeBetween(2, 51);
        return store.messagesRead.get();
    }

    @Test
    void get_tokenWindowAt20000Messages_readsWhatItReadsAt100() {
        try (Counting store = new Counting(InMemoryConversationStore.create())) {
            long atShort = read(store, "short", 100);
            long atLong = read(store, "long", 20_000);

            assertThat(atLong).isEqualTo(atShort).isLessThanOrEqualTo(64);
        }
    }
}
