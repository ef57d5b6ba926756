package io.github.conversationstore.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Runs the listener-overhead benchmark with tiny counts: it runs and prints, whatever the timings. */
class ListenerOverheadSmokeTest {
    @Test
    void tinyRun_printsEveryConfigurationWithItsRatioToNoListener() {
        ListenerOverhead.Result result = ListenerOverhead.measure(40);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            result.print(out);
        }
        String printed = bytes.toString(StandardCharsets.UTF_8);

        for (ListenerOverhead.Config c : ListenerOverhead.Config.values()) {
            assertThat(result.median()[c.ordinal()]).isPositive();
            assertThat(printed).containsPattern("\\| " + c.label + " \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\|");
        }
        assertThat(result.medianRatio(ListenerOverhead.Config.NONE)).isEqualTo(1.0);
        assertThat(printed).startsWith("Listener overhead: 40 appends per configuration").doesNotContain("NaN");
    }
}
