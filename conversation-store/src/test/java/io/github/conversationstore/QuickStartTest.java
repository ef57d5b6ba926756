package io.github.conversationstore;

import io.github.conversationstore.testing.EmbeddedMongo;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.spi.ReplyProvider;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The README's quick start, compiled and run: keep the two in step. */
class QuickStartTest {
    private static EmbeddedMongo server;

    @BeforeAll
    static void start() {
        server = new EmbeddedMongo();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The package documentation shows this test's quick start: the two must not drift apart. */
    @Test
    void packageDocumentation_showsTheCompiledQuickStart() throws java.io.IOException {
        String test = java.nio.file.Files.readString(java.nio.file.Path.of(
                "src/test/java/io/github/conversationstore/QuickStartTest.java"));
        String doc = java.nio.file.Files.readString(java.nio.file.Path.of(
                "src/main/java/io/github/conversationstore/package-info.java"));
        String region = test.substring(test.lastIndexOf("// --- quick start ---\n") + "// --- quick start ---\n".length(),
                test.lastIndexOf("// --- end quick start ---"));
        String example = doc.substring(doc.indexOf("<pre>{@code\n") + "<pre>{@code\n".length(), doc.indexOf(" * }</pre>"));

        assertThat(normalized(example.replaceAll("(?m)^ \\* ?", ""))).isEqualTo(normalized(region + "}"));
    }

    /** The README shows these compiled regions as they are (whitespace aside). */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"readme/QuickStart, quick start", "QuickStartTest, turns", "ToolUseExampleTest, parts", "ToolUseExampleTest, tools", "CompactionExampleTest, compaction", "StreamingExampleTest, streaming", "OwnersExampleTest, owners"})
    void readme_showsTheCompiledExamples(String testClass, String region) throws java.io.IOException {
        String test = java.nio.file.Files.readString(java.nio.file.Path.of(
                "src/test/java/io/github/conversationstore/" + testClass + ".java"));
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("../README.md"));
        String start = "// --- " + region + " ---\n";
        String code = test.substring(test.lastIndexOf(start) + start.length(), test.lastIndexOf("// --- end " + region + " ---"));

        assertThat(normalized(readme)).contains(normalized(code));
    }

    private static String normalized(String code) {
        return code.replaceAll("\\s+", " ").trim();
    }

    /** The README's first example is a whole program: it runs as shown and prints what it says. */
    @Test
    void readmeQuickStart_runsAsShown() {
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        java.io.PrintStream out = System.out;
        System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            io.github.conversationstore.readme.QuickStart.main(new String[] {server.connectionString()});
        } finally {
            System.setOut(out);
        }
        assertThat(printed.toString(java.nio.charset.StandardCharsets.UTF_8).lines())
                .startsWith("the repeat was a duplicate: true",
                        "0 USER: What is the capital of Peru?", "1 ASSISTANT: Lima.", "2 USER: And of Chile?")
                .anyMatch(line -> line.startsWith("3 messages, started "));
    }

    @Test
    void quickStart() {
        String connectionString = server.connectionString();
        // --- quick start ---
        try (ConversationStore store = MongoConversationStore.builder()
                .connectionString(connectionString) // e.g. "mongodb://localhost:27017"
                .database("tutor")
                .build()) {

            // One atomic, exactly-once append: the user's message and the reply, contiguous.
            AppendResult result = store.appendMessages("session-42", "es", List.of(
                    Message.user("Yo soy cansado"),
                    Message.assistant("¡Casi! Se dice: estoy cansado.")
                            .withAttribute("grammarSuggestion", "estar for states: estoy cansado")
                            .withAttribute("translation", "Almost! You say: I am tired.")));

            // An idempotency key makes a retried request harmless.
            AppendRequest retryable = AppendRequest.builder("session-42", "es")
                    .appendId("turn-7")
                    .messages(Message.user("¿Y mañana?"))
                    .build();
            store.appendMessages(retryable);
            AppendResult again = store.appendMessages(retryable); // again.duplicate() == true

            // The prompt window: the last 20 messages, oldest first, with sequence numbers.
            List<StoredMessage> window = store.recentMessages("session-42", 20);
            ConversationHeader header = store.findConversation("session-42").orElseThrow();
            // --- end quick start ---

            // --- turns ---
            ReplyProvider provider = ScriptedReplyProvider.echo(); // or your LLM, see the spi package
            try (TurnService turns = TurnService.builder(store)
                    .provider(provider)
                    .replyTimeout(Duration.ofSeconds(30))
                    .windowMessages(20)
                    .build()) {
                TurnResult turn = turns.respond("session-42", "es", "¿Qué hora es?", "turn-8");
                // stored: the user's message, then the reply; retrying "turn-8" never duplicates them
                String reply = turn.reply().text();
                // --- end turns ---
                assertThat(reply).isEqualTo("echo: ¿Qué hora es?");
                assertThat(turn.reply().sequence()).isEqualTo(4);
            }

            assertThat(result.firstSequence()).isZero();
            assertThat(again.duplicate()).isTrue();
            assertThat(window).extracting(StoredMessage::sequence).containsExactly(0L, 1L, 2L);
            assertThat(header.messageCount()).isEqualTo(3);
            assertThat(store.findConversation("session-42").orElseThrow().messageCount()).isEqualTo(5);
        }
    }
}
