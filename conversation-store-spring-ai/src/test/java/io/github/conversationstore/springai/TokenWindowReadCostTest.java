package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.Summary;
import io.github.conversationstore.testing.ForwardingConversationStore;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.Message;

/**
 * A token-window {@code get} reads the summaries and the tail only: at 20,000 messages it reads as
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

    private static long read(Counting store, String id, int length) {
        ReadCostAtLengthTest.fill(store, id, length);
        store.writeSummary(id, Summary.of(0, length - 50, "summary", 20));
        ChatMemory memory = ConversationStoreChatMemory.builder(store).tokenBudget(400).build();
        store.messagesRead.set(0);
        List<Message> window = memory.get(id);
        assertThat(window.get(0).getText()).startsWith("Summary of the earlier conversation");
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
