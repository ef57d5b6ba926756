package io.github.conversationstore;

import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.testing.BothStores;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;

/** What the streaming review's tests share: both stores, a thread pool, a quick turn service. */
abstract class AbstractStreamingReviewTest {
    final ExecutorService pool = Executors.newCachedThreadPool();

    static Stream<Named<Supplier<ConversationStore>>> stores() {
        return BothStores.both();
    }

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    /** A turn service with short retries and drafts written every 10 ms. */
    static TurnService.Builder turns(ConversationStore store, ReplyProvider provider) {
        return TurnService.builder(store).provider(provider).replyTimeout(Duration.ofSeconds(10))
                .retryBackoff(Duration.ofMillis(10)).draftInterval(Duration.ofMillis(10))
                .leaseDuration(Duration.ofSeconds(11));
    }
}
