package io.github.conversationstore.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Runs the encryption-overhead benchmark with tiny counts: it runs and renders its section, whatever the timings. */
class EncryptionOverheadSmokeTest {
    @Test
    void tinyRun_rendersEveryOperationWithItsRatio() {
        EncryptionOverhead.Result result = EncryptionOverhead.measure(40);
        String md = result.markdown();

        for (EncryptionOverhead.Operation op : EncryptionOverhead.Operation.values()) {
            assertThat(result.median()[op.ordinal()][0]).isPositive();
            assertThat(result.median()[op.ordinal()][1]).isPositive();
            assertThat(md).contains("| " + op.label + " | ");
        }
        assertThat(md).startsWith("## Encryption overhead").contains("-Dexec.args=40").containsPattern("\\*\\*(met|not met)\\*\\*")
                .doesNotContain("NaN");
    }
}
