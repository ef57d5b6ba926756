package io.github.conversationstore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LedgerTest {
    @Test
    void byIdentityAndConversation_forgetDropsOneConversation() {
        Ledger<String, Integer> ledger = new Ledger<>();
        String a = new String("same");
        String b = new String("same");
        ledger.put(a, "c1", 1);
        ledger.put(a, "c2", 2);
        ledger.put(b, "c1", 3);

        assertThat(ledger.get(a, "c1")).isEqualTo(1);
        assertThat(ledger.get(b, "c1")).isEqualTo(3);
        assertThat(ledger.get(b, "c2")).isNull();

        ledger.forget("c1");
        assertThat(ledger.get(a, "c1")).isNull();
        assertThat(ledger.get(b, "c1")).isNull();
        assertThat(ledger.get(a, "c2")).isEqualTo(2);
        assertThat(ledger.size()).isEqualTo(1);
    }

    @Test
    void fit_cutsAtACharacterBoundaryWithTheMarker() {
        String text = "é".repeat(1_000);
        String fitted = Fitting.fit(text, 1_001);
        assertThat(Fitting.utf8Bytes(fitted)).isLessThanOrEqualTo(1_001);
        assertThat(fitted).startsWith("éé").contains("of 2000 bytes kept]");
        assertThat(Fitting.fit("short", 256)).isEqualTo("short");
        assertThat(Fitting.utf8Bytes("a😀é")).isEqualTo("a😀é".getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    }
}
