package io.github.conversationstore.examples.bench;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Owner;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;

/**
 * Listing one owner's page of conversations while other owners hold few or many: two stores side by
 * side, one with {@code small} conversations of other owners, one with {@code large}, the same 50
 * conversations of the listed owner in both, pages of 20 read strictly interleaved. Prints the
 * median microseconds per page of each and their ratio (in memory, where the listing reads the
 * owner's own index), and on the embedded MongoDB server the commands and reply bytes per page
 * (mongo-java-server plans no query on a secondary index, so its times grow with the collection;
 * MongoDB reads the partial index {@code {owner: 1, sessionId: 1}}: see docs/BENCHMARKS.md).
 *
 * <pre>
 * ./mvnw -q -pl conversation-store-examples -am test-compile exec:java \
 *     -Dexec.mainClass=io.github.conversationstore.examples.bench.OwnerListing [-Dexec.args="1000 1000000"]
 * </pre>
 */
public final class OwnerListing {
    static final Owner LISTED = Owner.of("tutor", "listed");
    static final int OWN = 50;
    static final int PAGE = 20;
    /**
     * Other owners' conversations on the embedded server: it finds a head by scanning, so filling it
     * costs the square of its size; the wire cost of a page is what it shows.
     */
    static final int MONGO_SMALL = 100;
    static final int MONGO_LARGE = 3_000;

    /** Median microseconds per page with few and many other conversations; wire cost per page on MongoDB. */
    record Result(int small, int large, double smallMicros, double largeMicros, double mongoCommandsPerPage,
            long mongoReplyBytesSmall, long mongoReplyBytesLarge) {
        double ratio() {
            return largeMicros / smallMicros;
        }

        void print(PrintStream out) {
            out.printf(Locale.ROOT, "Owner listing: a page of %d of one owner's %d conversations, beside %,d or %,d of other owners%n",
                    PAGE, OWN, small, large);
            out.println("| store | others | median µs per page | ratio |");
            out.println("|---|---|---|---|");
            out.printf(Locale.ROOT, "| in memory | %,d | %.1f | 1.000 |%n", small, smallMicros);
            out.printf(Locale.ROOT, "| in memory | %,d | %.1f | %.3f |%n", large, largeMicros, ratio());
            out.printf(Locale.ROOT, "MongoDB (embedded server): %.1f command per page; reply bytes per page %,d beside %,d others,"
                    + " %,d beside %,d%n", mongoCommandsPerPage, mongoReplyBytesSmall, MONGO_SMALL, mongoReplyBytesLarge, MONGO_LARGE);
        }
    }

    private OwnerListing() {}

    public static void main(String[] args) {
        int small = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
        int large = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        measure(small, large, 2_000).print(System.out);
    }

    static Result measure(int small, int large, int rounds) {
        try (ConversationStore few = InMemoryConversationStore.create(); ConversationStore many = InMemoryConversationStore.create()) {
            fill(few, small);
            fill(many, large);
            long[] a = new long[rounds];
            long[] b = new long[rounds];
            for (int i = 0; i < rounds / 4; i++) {
                page(few, i);
                page(many, i);
            }
            for (int i = 0; i < rounds; i++) {
                if (i % 2 == 0) {
                    a[i] = page(few, i);
                    b[i] = page(many, i);
                } else {
                    b[i] = page(many, i);
                    a[i] = page(few, i);
                }
            }
            long[] wireSmall = mongoPage(MONGO_SMALL);
            long[] wireLarge = mongoPage(MONGO_LARGE);
            return new Result(small, large, median(a) / 1000.0, median(b) / 1000.0, wireSmall[0],
                    wireSmall[1], wireLarge[1]);
        }
    }

    private static void fill(ConversationStore store, int others) {
        for (int i = 0; i < others; i++) {
            store.appendMessages(AppendRequest.builder(String.format(Locale.ROOT, "o-%07d", i), "en")
                    .owner(Owner.of("tutor", "u" + (i % 997))).messages(Message.user("hi")).build());
        }
        for (int i = 0; i < OWN; i++) {
            store.appendMessages(AppendRequest.builder(String.format(Locale.ROOT, "l-%03d", i), "en")
                    .owner(LISTED).messages(Message.user("hi")).build());
        }
    }

    /** Nanoseconds for one page, which one depending on {@code i}. */
    private static long page(ConversationStore store, int i) {
        String after = i % 2 == 0 ? null : "l-0" + (10 + i % 20);
        long start = System.nanoTime();
        int size = store.listConversations(LISTED, after, PAGE).size();
        long took = System.nanoTime() - start;
        if (size == 0) {
            throw new IllegalStateException("the listed owner's page is empty");
        }
        return took;
    }

    /** Commands and reply bytes of one page on the embedded server, beside {@code others} conversations. */
    private static long[] mongoPage(int others) {
        MongoServer server = EmbeddedServer.start();
        WireStats.Counter counter = new WireStats.Counter();
        MongoClientSettings settings = counter.settings(server);
        try (MongoClient client = MongoClients.create(settings);
                MongoConversationStore store = MongoConversationStore.builder().client(client).database("owners").build()) {
            fill(store, others);
            counter.reset();
            store.listConversations(LISTED, null, PAGE);
            return new long[] {counter.commands.get(), counter.received.get()};
        } finally {
            server.shutdownNow();
        }
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
