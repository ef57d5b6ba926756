package io.github.conversationstore.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The latency mode's section of BENCHMARKS.md is replaced in place, and kept by the main report. */
class NetworkLatencySectionTest {

    @Test
    void withSection_appendsOnceThenReplacesInPlace() {
        String first = NetworkLatency.withSection("# Benchmarks\n\ntables\n", "## Over a network\nv1\n");
        assertThat(first).isEqualTo("# Benchmarks\n\ntables\n\n" + NetworkLatency.START + "\n## Over a network\nv1\n"
                + NetworkLatency.END + "\n");
        String second = NetworkLatency.withSection(first, "## Over a network\nv2\n");
        assertThat(second).isEqualTo(first.replace("v1", "v2"));
        assertThat(NetworkLatency.section(second)).isEqualTo(NetworkLatency.START + "\n## Over a network\nv2\n"
                + NetworkLatency.END + "\n");
        assertThat(NetworkLatency.section("# no section\n")).isEmpty();
    }
}
