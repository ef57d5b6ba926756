package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.StreamingReplyProvider;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The README's streaming example, compiled and run against the in-memory store. */
class StreamingExampleTest {
    @Test
    void readmeStreamingExample_streamsFollowsAndStops() throws Exception {
        ConversationStore store = InMemoryConversationStore.create();
        StreamingReplyProvider model = (request, deltas) -> {
            StringBuilder text = new StringBuilder();
            for (String word : "Lima is the capital of Peru.".split("(?<= )")) {
                deltas.accept(word);
                text.append(word);
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return Reply.of(text.toString());
        };
        StringBuilder screen = new StringBuilder();
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            // --- streaming ---
            try (TurnService turns = TurnService.builder(store).provider(model)   // a StreamingReplyProvider
                    .busyPolicy(BusyPolicy.INTERRUPT)   // a new message stops the streaming reply, then is answered
                    .build()) {
                threads.submit(() -> turns.respond("s-1", "en", "Capital of Peru?", "turn-1"));
                // any process, any time: the text after the offset the client has shown, then live
                turns.followTurn("s-1", "turn-1", 0, screen::append, Duration.ofSeconds(30));
                // turns.stop("s-1", "turn-1") keeps the partial reply, finish reason "stopped"
            }
            // --- end streaming ---
        } finally {
            threads.shutdown();
            assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(screen.toString()).isEqualTo("Lima is the capital of Peru.");
        assertThat(store.readMessages("s-1", 0, 10)).extracting(StoredMessage::text)
                .containsExactly("Capital of Peru?", "Lima is the capital of Peru.");
    }
}
