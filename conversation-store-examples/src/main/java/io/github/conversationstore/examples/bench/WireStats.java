package io.github.conversationstore.examples.bench;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import com.mongodb.event.CommandSucceededEvent;
import de.bwaldvogel.mongo.MongoServer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.BsonDocument;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;

/** Commands and bytes on the wire per append, counted with a driver {@link CommandListener}. */
final class WireStats {
    /**
     * Per append: commands on average, commands of the most common append (the steady state),
     * bytes of the commands sent, bytes of the replies received.
     */
    record PerAppend(double commands, long steadyStateCommands, double bytesSent, double bytesReceived) {}

    private WireStats() {}

    static PerAppend measure(WritePattern pattern, int length, int appends) {
        MongoServer server = EmbeddedServer.start();
        Counter counter = new Counter();
        AtomicLong commands = counter.commands;
        AtomicLong sent = counter.sent;
        AtomicLong received = counter.received;
        MongoClientSettings settings = counter.settings(server);
        try (MongoClient client = MongoClients.create(settings)) {
            WritePattern.Writer writer = pattern.open(client, "wire");
            int sessions = 4;
            for (int s = 0; s < sessions; s++) {
                writer.prefill(AppendBenchmark.session(s), length);
            }
            commands.set(0);
            sent.set(0);
            received.set(0);
            Map<Long, Integer> histogram = new HashMap<>();
            for (int i = 0; i < appends; i++) {
                long before = commands.get();
                writer.append(AppendBenchmark.session(i % sessions));
                histogram.merge(commands.get() - before, 1, Integer::sum);
            }
            long steady = histogram.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            return new PerAppend((double) commands.get() / appends, steady, (double) sent.get() / appends,
                    (double) received.get() / appends);
        } finally {
            server.shutdownNow();
        }
    }

    /** Counts the commands a client sends, their bytes and their replies' bytes. */
    static final class Counter implements CommandListener {
        final AtomicLong commands = new AtomicLong();
        final AtomicLong sent = new AtomicLong();
        final AtomicLong received = new AtomicLong();

        @Override
        public void commandStarted(CommandStartedEvent event) {
            commands.incrementAndGet();
            sent.addAndGet(size(event.getCommand()));
        }

        @Override
        public void commandSucceeded(CommandSucceededEvent event) {
            received.addAndGet(size(event.getResponse()));
        }

        /** Client settings for the embedded {@code server}, counted by this. */
        MongoClientSettings settings(MongoServer server) {
            return MongoClientSettings.builder()
                    .applyConnectionString(new ConnectionString(EmbeddedServer.uri(server)))
                    .addCommandListener(this)
                    .build();
        }

        void reset() {
            commands.set(0);
            sent.set(0);
            received.set(0);
        }
    }

    private static long size(BsonDocument document) {
        return new RawBsonDocument(document, new BsonDocumentCodec()).getByteBuffer().remaining();
    }
}
