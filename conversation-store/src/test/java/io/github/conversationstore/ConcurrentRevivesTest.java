package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.testing.BothStores;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Review (attack that held): several writers revive one tombstone at once; every message is
 * stored once at 0..n-1, the header counts them, and nothing of the erased life shows.
 */
class ConcurrentRevivesTest {
    private static final int WRITERS = 6;

    static Stream<Named<Supplier<ConversationStore>>> stores() {
        return BothStores.both();
    }

    @ParameterizedTest
    @MethodSource("stores")
    void writersRacingToReviveATombstone_getContiguousSequences(Supplier<ConversationStore> factory) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try (ConversationStore store = factory.get()) {
            for (int round = 0; round < 10; round++) {
                String session = "s" + round;
                store.appendMessages(session, "en", List.of(Message.user("erased"), Message.assistant("erased too")));
                store.deleteConversation(session);
                CyclicBarrier start = new CyclicBarrier(WRITERS);
                List<Future<AppendResult>> results = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    String text = "w" + w;
                    results.add(pool.submit(() -> {
                        start.await();
                        return store.appendMessages(session, "en", List.of(Message.user(text)));
                    }));
                }
                List<Long> firsts = new ArrayList<>();
                for (Future<AppendResult> r : results) {
                    firsts.add(r.get().firstSequence());
                }
                assertThat(firsts).containsExactlyInAnyOrderElementsOf(
                        LongStream.range(0, WRITERS).boxed().collect(Collectors.toList()));
                List<StoredMessage> stored = store.readMessages(session, 0, 100);
                assertThat(stored).extracting(StoredMessage::sequence)
                        .containsExactlyElementsOf(LongStream.range(0, WRITERS).boxed().collect(Collectors.toList()));
                assertThat(stored).extracting(StoredMessage::text).doesNotContain("erased", "erased too");
                assertThat(store.findConversation(session).orElseThrow().messageCount()).isEqualTo(WRITERS);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
