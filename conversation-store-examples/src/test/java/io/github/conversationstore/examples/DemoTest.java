package io.github.conversationstore.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DemoTest {
    @Test
    void mainJob_showsTheOriginalFailureAndTheLibraryWithout() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Demo.Summary summary;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            summary = Demo.run(out, new OfflineTutor());
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
        assertThat(printed).contains("E11000 duplicate key errors: " + summary.naiveDuplicateKeyErrors())
                .contains("#5 assistant")
                .contains("Summary: original code: ");
    }
}
