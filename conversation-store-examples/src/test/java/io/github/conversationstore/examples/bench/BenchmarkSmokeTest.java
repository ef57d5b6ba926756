package io.github.conversationstore.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the benchmark suite for seconds: every pattern, the report and the chart are produced. */
class BenchmarkSmokeTest {
    @Test
    void smokeRun_writesReportAndChartWithEveryPattern(@TempDir Path out) throws Exception {
        Path markdown = BenchmarkReport.run(BenchmarkReport.Plan.smoke(), out);

        String report = Files.readString(markdown);
        for (WritePattern p : WritePattern.values()) {
            assertThat(report).contains("| " + p.label() + " | ");
        }
        assertThat(report).contains("## Targets").contains("exactly 1 command per steady-state append | 1 at 100");
        assertThat(report).doesNotContain("NaN");
        String svg = Files.readString(out.resolve("benchmark-latency.svg"));
        assertThat(svg).startsWith("<svg").contains("<polyline").contains("conversation-store");
    }
}
