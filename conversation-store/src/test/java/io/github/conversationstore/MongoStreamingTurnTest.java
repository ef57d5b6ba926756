package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.StreamingReplyProvider;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.RawDocuments;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Streaming turns on the embedded server through two stores with a client each, standing for two processes. */
class MongoStreamingTurnTest extends AbstractStreamingTurnTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();

    @Override
    protected ConversationStore[] createStores() {
        String collection = "streaming" + System.nanoTime();
        return new ConversationStore[] {store(collection), store(collection)};
    }

    private static ConversationStore store(String collection) {
        return MongoConversationStore.builder().connectionString(SERVER.connectionString()).database("streaming")
                .collection(collection).build();
    }

    @Test
    void draftWrites_areBoundedByTheInterval_notByTheDeltas() {
        AtomicInteger draftWrites = new AtomicInteger();
        CommandListener counter = new CommandListener() {
            @Override
            public void commandStarted(CommandStartedEvent event) {
                if (event.getCommand().containsKey("findAndModify") || event.getCommand().containsKey("update")) {
                    String target = event.getCommand().get(event.getCommandName()).asString().getValue();
                    if (target.endsWith("_drafts")) {
                        draftWrites.incrementAndGet();
                    }
                }
            }
        };
        // 1,000 deltas of about 6 bytes over about 1 s, drafts at most every 250 ms or 2 KiB
        StreamingReplyProvider words = new StreamingReplyProvider() {
            @Override
            public Reply stream(ReplyRequest request, Consumer<String> deltas) {
                long start = System.nanoTime();
                StringBuilder all = new StringBuilder();
                for (int i = 0; i < 1_000; i++) {
                    String word = "w" + i + " ";
                    all.append(word);
                    deltas.accept(word);
                    while (System.nanoTime() - start < (i + 1) * 1_000_000L) {
                        Thread.onSpinWait();
                    }
                }
                return Reply.of(all.toString());
            }
        };
        try (MongoClient client = MongoClients.create(com.mongodb.MongoClientSettings.builder()
                .applyConnectionString(new com.mongodb.ConnectionString(SERVER.connectionString())).addCommandListener(counter)
                .build());
                MongoConversationStore store = MongoConversationStore.builder().client(client).database("streaming")
                        .collection("bounded" + System.nanoTime()).build();
                TurnService service = TurnService.builder(store).provider(words).replyTimeout(Duration.ofSeconds(20)).build()) {
            TurnResult result = service.respond("s", "en", "stream", "t");
            int bytes = result.reply().text().length();
            // start + every 250 ms (about 4) + every 2 KiB (about 3) + the end
            assertThat(draftWrites.get()).isBetween(3, 2 + 1_100 / 250 + bytes / 2048 + 2);
        }
    }

    @Test
    void draftsOfAnEncryptingStore_holdNoPlaintext() throws Exception {
        CountDownLatch streaming = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        StreamingReplyProvider canary = (request, deltas) -> {
            deltas.accept("CANARY-DRAFT-77aa ");
            streaming.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            deltas.accept("and more");
            return Reply.of("CANARY-DRAFT-77aa and more");
        };
        String database = "streamcrypt" + System.nanoTime();
        try (MongoClient client = MongoClients.create(SERVER.connectionString());
                MongoConversationStore store = MongoConversationStore.builder().client(client).database(database)
                        .encryption(TestKeys.provider()).build();
                TurnService service = TurnService.builder(store).provider(canary).build()) {
            Future<TurnResult> turn = pool.submit(() -> service.respond("s", "en", "hello", "t"));
            assertThat(streaming.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(100);
            assertThat(drafts(store).read("s", "t").orElseThrow().text()).isEqualTo("CANARY-DRAFT-77aa ");
            assertThat(RawDocuments.containing(client.getDatabase(database), List.of("CANARY-DRAFT"))).isEmpty();
            release.countDown();
            assertThat(turn.get(10, TimeUnit.SECONDS).reply().text()).isEqualTo("CANARY-DRAFT-77aa and more");
            assertThat(RawDocuments.containing(client.getDatabase(database), List.of("CANARY-DRAFT"))).isEmpty();
        }
    }
}
