package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.History.Kind;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The randomized history with injected faults (lost replies, resets, outages, a skewed clock, racing
 * deletes) on three encrypting stores that share one collection and each cache their own data keys:
 * every guarantee the checker judges holds with encryption on, key races and stale keys included.
 */
class EncryptedRandomizedHistoryTest extends EmbeddedMongoTestBase {

    @Test
    void randomHistoryWithFaultsAndEncryption_keepsEveryGuarantee() throws Exception {
        long seed = Long.getLong("history.seed", new SecureRandom().nextLong());
        Duration budget = Duration.ofSeconds(Long.getLong("history.encryptedSeconds", 10));
        System.out.println("EncryptedRandomizedHistoryTest: seed=" + seed + " (repeat with -Dhistory.seed=" + seed + ")");
        HistoryRun.Result result = HistoryRun.run(new HistoryRun.Config(seed, budget, 6, 6, Integer.MAX_VALUE,
                HistoryRun.Backend.EMBEDDED_ENCRYPTED), client, server.port());
        System.out.println(result.summary());

        assertThat(result.violations()).as(result.summary()).isEmpty();
        assertThat(result.history().countByKind()).as("the run appended, read and erased")
                .containsKeys(Kind.APPEND, Kind.RECENT, Kind.PAGE, Kind.DELETE);
    }
}
