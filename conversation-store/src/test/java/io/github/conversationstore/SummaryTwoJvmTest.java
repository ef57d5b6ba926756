package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Two JVMs compact the same conversation at the same moment, each through its own turn service
 * and store: one summary is stored, and both processes end up with it. The second JVM runs
 * {@link Other#main}, started with this JVM's class path; both start compacting at an agreed
 * instant, and their summarizers are slow enough for the two to overlap.
 */
class SummaryTwoJvmTest {
    private static final EmbeddedMongo SERVER = new EmbeddedMongo();
    private static final String DATABASE = "twojvm";

    @AfterAll
    static void stop() {
        SERVER.close();
    }

    /** The other JVM's program, and what both JVMs share (nothing here starts a server). */
    static final class Other {
        private Other() {}

        /** The compaction both processes run: over 600 tokens summarize, slowly. */
        static TurnService turns(ConversationStore store) {
            Compaction compaction = Compaction.builder().triggerTokens(600).keepTokens(100).summaryTokens(50)
                    .summarizer(request -> {
                        Thread.sleep(400);
                        return Message.system("summary of [" + request.fromSequence() + ", " + request.toSequence() + ")");
                    }).build();
            return TurnService.builder(store).provider(ScriptedReplyProvider.of(request -> Reply.of("ok")))
                    .compaction(compaction).build();
        }

        static MongoConversationStore store(String uri, String collection) {
            return MongoConversationStore.builder().connectionString(uri).database(DATABASE).collection(collection).build();
        }

        /**
         * Waits for the agreed instant, compacts, prints the summary's range ("none" if it found
         * nothing due) and how many summaries are stored.
         *
         * @param args the connection string, the collection, the instant (epoch milliseconds), and
         *     for a write of the range [0, 20) straight to the store the summary's text
         * @throws Exception if it fails: the exit status is then not 0
         */
        public static void main(String[] args) throws Exception {
            long startAt = Long.parseLong(args[2]);
            try (MongoConversationStore store = store(args[0], args[1]); TurnService turns = turns(store)) {
                Thread.sleep(Math.max(0, startAt - System.currentTimeMillis()));
                if (args.length > 3) { // the same range written straight to the store, no lease
                    System.out.println("WROTE " + store.writeSummary("s", Summary.of(0, 20, args[3], 5)).message().text());
                    return;
                }
                Optional<Summary> summary = turns.compact("s");
                System.out.println("RESULT " + summary.map(s -> s.fromSequence() + "-" + s.toSequence()).orElse("none"));
                System.out.println("STORED " + store.summaries("s").size());
            }
        }
    }

    @Test
    void twoJvmsWritingTheSameRangeAtOnce_storeOneSummary_andBothGetIt() throws Exception {
        String collection = "w" + System.nanoTime();
        {
            for (int round = 0; round < 3; round++) {
                String rangeCollection = collection + "r" + round;
                try (MongoConversationStore fresh = Other.store(SERVER.connectionString(), rangeCollection)) {
                    for (int i = 0; i < 30; i++) {
                        fresh.appendMessages("s", "en", List.of(Message.user("message " + i)));
                    }
                    long startAt = System.currentTimeMillis() + 1_500;
                    Process other = start(rangeCollection, startAt, "written by the other JVM");
                    Thread.sleep(Math.max(0, startAt - System.currentTimeMillis()));
                    String mine = fresh.writeSummary("s", Summary.of(0, 20, "written by this JVM", 5)).message().text();
                    String printed = ended(other);
                    assertThat(fresh.summaries("s")).as("round " + round).hasSize(1);
                    String stored = fresh.summaries("s").get(0).message().text();
                    assertThat(mine).isEqualTo(stored);
                    assertThat(printed).contains("WROTE " + stored);
                }
            }
        }
    }

    private static Process start(String collection, long startAt, String... write) throws java.io.IOException {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> command = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                Other.class.getName(), SERVER.connectionString(), collection, Long.toString(startAt)));
        command.addAll(List.of(write));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** Waits for the other JVM; its output. */
    private static String ended(Process other) throws Exception {
        if (!other.waitFor(60, TimeUnit.SECONDS)) {
            other.destroyForcibly();
            throw new AssertionError("the other JVM did not end: " + new String(other.getInputStream().readAllBytes(),
                    StandardCharsets.UTF_8));
        }
        String printed = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(other.exitValue()).as(printed).isZero();
        return printed;
    }

    @Test
    void twoJvmsCompactingAtOnce_storeOneSummary() throws Exception {
        String collection = "c" + System.nanoTime();
        try (MongoConversationStore store = Other.store(SERVER.connectionString(), collection);
                TurnService turns = Other.turns(store)) {
            for (int i = 0; i < 40; i++) {
                store.appendMessages("s", "en", List.of(Message.user("message " + i + " " + "word ".repeat(20))));
            }
            long startAt = System.currentTimeMillis() + 2_000; // the other JVM is up by then
            Process other = start(collection, startAt);
            Thread.sleep(Math.max(0, startAt - System.currentTimeMillis()));
            Optional<Summary> mine = turns.compact("s");
            String printed = ended(other);

            List<Summary> stored = store.summaries("s");
            assertThat(stored).as("one summary, whichever JVM wrote it").hasSize(1);
            Summary summary = stored.get(0);
            String range = summary.fromSequence() + "-" + summary.toSequence();
            // each JVM either wrote it, found it written (the same range), or found nothing left due
            assertThat(printed).contains("STORED 1").containsAnyOf("RESULT " + range, "RESULT none");
            mine.ifPresent(s -> assertThat(s.fromSequence() + "-" + s.toSequence() + " " + s.message().text())
                    .isEqualTo(range + " " + summary.message().text()));
            assertThat(mine.isPresent() || printed.contains("RESULT " + range)).as("someone compacted").isTrue();
            assertThat(store.readMessages("s", 0, 100)).hasSize(40);
            assertThat(Duration.ofMillis(System.currentTimeMillis() - startAt)).isLessThan(Duration.ofSeconds(30));
        }
    }
}
