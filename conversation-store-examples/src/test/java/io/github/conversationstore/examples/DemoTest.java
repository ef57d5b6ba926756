package io.github.conversationstore.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;
import org.junit.jupiter.api.Test;

class DemoTest {
    @Test
    void mainJob_showsTheOriginalFailureAndTheLibraryWithout() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Demo.Summary summary;
        // what a terminal shows: the story, and what the JDK's logging prints to the console meanwhile
        Logger root = Logger.getLogger("");
        Handler console = new StreamHandler(bytes, new SimpleFormatter()) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush(); // where it happens in the story, as a console shows it
            }
        };
        root.addHandler(console);
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            summary = Demo.run(out, new OfflineTutor());
        } finally {
            console.flush();
            root.removeHandler(console);
        }
        String printed = bytes.toString(StandardCharsets.UTF_8);

        assertThat(summary.naiveDuplicateKeyErrors()).isPositive();
        assertThat(summary.naiveStored()).isLessThan(summary.sent());
        assertThat(summary.libraryErrors()).isZero();
        assertThat(summary.libraryStored()).isEqualTo(summary.sent());
        assertThat(summary.libraryInOrder()).isTrue();
        assertThat(summary.tutorTurns()).isEqualTo(Demo.TUTOR_LINES.size());
        // the tool turn: interrupted after the tool ran, resumed by turn id; one key, each step once
        assertThat(summary.toolKeys()).containsExactly(Demo.TOOL_TURN + ":s1:conjugate-ir", Demo.TOOL_TURN + ":s1:conjugate-ir");
        assertThat(summary.toolTurnIds()).containsExactly(Demo.TOOL_TURN + ":user", Demo.TOOL_TURN + ":s1",
                Demo.TOOL_TURN + ":s1:r0", Demo.TOOL_TURN + ":reply");
        assertThat(printed).contains("Presente de «ir»: yo voy, tú vas").contains("failed (retryable: true)");
        // the meters: one append per pair of the load, two per tutor turn, five for the tool turn (user
        // message and call in the first process; in the second the user message again, a duplicate, then
        // the result and the reply)
        Demo.Metered metered = summary.metered();
        assertThat(metered.appends()).isEqualTo(Demo.USERS * Demo.PAIRS_PER_USER + 2L * Demo.TUTOR_LINES.size() + 5);
        assertThat(metered.turns()).isEqualTo(Demo.TUTOR_LINES.size() + 2);
        assertThat(metered.providerCalls()).isGreaterThanOrEqualTo(Demo.TUTOR_LINES.size() + 2);
        assertThat(metered.toolCalls()).isEqualTo(2);
        assertThat(metered.moves()).isPositive();
        assertThat(metered.movedMessages()).isPositive();
        assertThat(metered.meanAppendMillis()).isPositive();
        // compaction: the oldest messages summarized, the window within its budget, every message kept
        Demo.Compacted compacted = summary.compacted();
        assertThat(compacted.messages()).isEqualTo(Demo.LONG_HISTORY + 6L);
        assertThat(compacted.readable()).isEqualTo(compacted.messages());
        assertThat(compacted.ranges()).isNotEmpty().first().asString().startsWith("[0, ");
        assertThat(compacted.windowStartsWithSummary()).isTrue();
        assertThat(compacted.windowTokens()).isPositive().isLessThanOrEqualTo(Demo.BUDGET);
        assertThat(printed).contains("7. A long conversation compacted").contains("summary of messages [0, ")
                .contains("the whole history is still there: readMessages returns " + compacted.messages());
        // streaming: a follower saw the reply grow, joined it is the stored reply, and the draft cost at
        // most one write per draft interval plus two (the start and the end)
        Demo.Streamed streamed = summary.streamed();
        assertThat(streamed.followed()).hasSizeGreaterThan(1);
        assertThat(String.join("", streamed.followed())).isEqualTo(streamed.reply()).isNotBlank();
        assertThat(streamed.draftWrites()).isGreaterThanOrEqualTo(3).isLessThanOrEqualTo((int) streamed.bound());
        assertThat(streamed.bound()).isEqualTo((long) Math.ceil(streamed.turnMillis() / 250.0) + 2);
        assertThat(printed).contains("8. A streamed reply").contains("   stored:   " + streamed.reply())
                .contains("   draft writes: " + streamed.draftWrites() + " for a turn of " + streamed.turnMillis() + " ms")
                .contains("Streaming: a reply in " + streamed.followed().size() + " pieces for " + streamed.draftWrites()
                        + " draft writes.");
        assertThat(printed).contains("6. What the meters saw")
                .containsPattern("\\| appends +\\| +" + metered.appends() + " \\| mean +[0-9.]+ ms")
                .containsPattern("\\| races absorbed \\(E11000\\) +\\| +" + metered.racesAbsorbed() + " \\|")
                .containsPattern("\\| moves to the archive +\\| +" + metered.moves() + " \\| +" + metered.movedMessages() + " messages")
                .containsPattern("\\| provider calls +\\| +" + metered.providerCalls() + " \\| mean +[0-9.]+ ms");
        assertThat(printed).contains("E11000 duplicate key errors: " + summary.naiveDuplicateKeyErrors())
                .contains("#5 assistant")
                .contains("Summary: original code: ");
        // the tool failure the demo causes on purpose is told in the story, not logged in its middle
        assertThat(printed).contains("the library logs a warning, as it should: tool conjugate gave up after 1 attempt;")
                .doesNotContainPattern("(?m)^(WARNING|SEVERE|ERROR)\\b")
                .doesNotContain("WARNING:").doesNotContain("SEVERE").doesNotContain("ERROR");
    }
}
