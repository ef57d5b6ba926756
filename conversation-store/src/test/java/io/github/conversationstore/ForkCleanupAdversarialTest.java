package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.testing.FaultInjectingProxy.RandomFaults;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.function.Supplier;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attack: the clean-up of a family (the parent deleted, then a fork, then a fork of a fork, the
 * last one removed by retention and the sweep) with replies lost, connections reset and outages
 * during every step, each retried as a caller would: after each step every remaining fork reads
 * whole and the raw documents hold exactly the prefix still referenced; after the last reference,
 * nothing. And a deletion of the last fork interrupted and never retried: the sweep finishes it.
 */
class ForkCleanupAdversarialTest extends ForkAdversarialBase {

    /** Runs {@code step} until it completes, as a caller retrying with the same arguments would. */
    private static <T> T untilDone(Supplier<T> step) {
        ConversationStoreException last = null;
        for (int attempt = 0; attempt < 40; attempt++) {
            try {
                return step.get();
            } catch (ConversationStoreUnavailableException | ConcurrentAppendException e) {
                last = e;
            }
        }
        throw new AssertionError("never completed", last);
    }

    private static void agePastTheGrace(MongoDatabase raw) {
        raw.getCollection("conversations_forks").updateMany(new Document(),
                new Document("$set", new Document("createdAt", new Date(0))));
    }

    private static List<String> join(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2})
    void familyCleanedUpThroughFaults_thePrefixGoesWithItsLastReferenceOnly(long seed) throws Exception {
        String database = db("forkcleanup");
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient proxied = MongoClients.create(proxy.clientSettings(Duration.ofSeconds(2)));
                MongoConversationStore faulty = builder(proxied, database).operationTimeout(Duration.ofSeconds(3)).build();
                MongoConversationStore reader = builder(client, database).build()) {
            MongoDatabase raw = client.getDatabase(database);
            List<String> p = append(reader, "p", "parent", 30);
            reader.fork("p", 20, "f");
            List<String> f = join(p.subList(0, 20), append(reader, "f", "fork", 6));
            reader.fork("f", 23, "g");
            List<String> g = join(f.subList(0, 23), append(reader, "g", "grandchild", 3));
            reader.fork("p", 8, "h");
            List<String> h = join(p.subList(0, 8), append(reader, "h", "other", 2));
            List<String> everything = join(join(p, f), join(g, h));

            proxy.startRandom(new RandomFaults(seed, 0.15, 0.05, 0.1, 0.03, Duration.ofMillis(100),
                    Duration.ofMillis(900), Duration.ofMillis(600)));
            untilDone(() -> faulty.deleteConversation("p"));
            proxy.stopRandom();
            assertThat(texts(reader, "f")).containsExactlyElementsOf(f);
            assertThat(texts(reader, "g")).containsExactlyElementsOf(g);
            assertThat(texts(reader, "h")).containsExactlyElementsOf(h);
            assertThat(stored(raw, p)).containsExactlyInAnyOrderElementsOf(p.subList(0, 20));

            proxy.startRandom(new RandomFaults(seed + 100, 0.15, 0.05, 0.1, 0.03, Duration.ofMillis(100),
                    Duration.ofMillis(900), Duration.ofMillis(600)));
            untilDone(() -> faulty.deleteConversation("f"));
            untilDone(faulty::removeOrphanedArchives); // within the grace: nothing referenced goes
            proxy.stopRandom();
            assertThat(texts(reader, "g")).containsExactlyElementsOf(g);
            assertThat(texts(reader, "h")).containsExactlyElementsOf(h);
            assertThat(stored(raw, everything)).containsExactlyInAnyOrderElementsOf(join(g, h.subList(8, 10)).stream()
                    .distinct().toList());

            // g removed by retention, then the sweep (its references past the grace), through faults
            raw.getCollection("conversations").deleteOne(new Document("sessionId", "g"));
            agePastTheGrace(raw);
            proxy.startRandom(new RandomFaults(seed + 200, 0.15, 0.05, 0.1, 0.03, Duration.ofMillis(100),
                    Duration.ofMillis(900), Duration.ofMillis(600)));
            untilDone(faulty::removeOrphanedArchives);
            proxy.stopRandom();
            assertThat(texts(reader, "h")).containsExactlyElementsOf(h);
            assertThat(stored(raw, everything)).containsExactlyInAnyOrderElementsOf(h);

            proxy.startRandom(new RandomFaults(seed + 300, 0.15, 0.05, 0.1, 0.03, Duration.ofMillis(100),
                    Duration.ofMillis(900), Duration.ofMillis(600)));
            untilDone(() -> faulty.deleteConversation("h"));
            untilDone(faulty::removeOrphanedArchives);
            proxy.stopRandom();
            assertThat(stored(raw, everything)).isEmpty();
            assertThat(raw.getCollection("conversations_forks").countDocuments()).isZero();
            assertThat(raw.getCollection("conversations_archive").countDocuments()).isZero();
        }
    }

    @Test
    void deletionOfTheLastForkInterruptedAndNeverRetried_theSweepFinishesIt() throws Exception {
        String database = db("forkgaveup");
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                MongoClient proxied = proxy.client();
                MongoConversationStore faulty = builder(proxied, database).maxAttempts(1).build();
                MongoConversationStore reader = builder(client, database).build()) {
            MongoDatabase raw = client.getDatabase(database);
            List<String> p = append(reader, "p", "parent", 30);
            reader.fork("p", 12, "f");
            reader.deleteConversation("p");
            assertThat(stored(raw, p)).containsExactlyInAnyOrderElementsOf(p.subList(0, 12));

            // the fork's tombstone is written, then taking back its references fails (never applied)
            proxy.armError(FaultInjectingProxy.error(50, "MaxTimeMSExpired"), "conversations_forks", 1);
            assertThatThrownBy(() -> faulty.deleteConversation("f")).isInstanceOf(ConversationStoreUnavailableException.class);
            assertThat(reader.findConversation("f")).isEmpty();

            // the caller never retries; past the grace the sweep finds the reference of an erased fork
            agePastTheGrace(raw);
            reader.removeOrphanedArchives();
            assertThat(stored(raw, p)).isEmpty();
            assertThat(raw.getCollection("conversations_forks").countDocuments()).isZero();
        }
    }
}
