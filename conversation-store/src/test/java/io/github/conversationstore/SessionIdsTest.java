package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link SessionIds#random()}: valid, distinct, and spread evenly over the id space. */
class SessionIdsTest {

    @Test
    void random_isAValidSessionIdOf26Base32Characters() {
        String id = SessionIds.random();
        assertThat(id).hasSize(26).matches("[0-9abcdefghjkmnpqrstvwxyz]{26}");
        assertThat(Checks.sessionId(id)).isEqualTo(id);
    }

    @Test
    void random_idsAreDistinctAndSpreadOverTheFirstCharacter() {
        Set<String> ids = new HashSet<>();
        int[] firsts = new int[128];
        for (int i = 0; i < 32_000; i++) {
            String id = SessionIds.random();
            ids.add(id);
            firsts[id.charAt(0)]++;
        }
        assertThat(ids).hasSize(32_000);
        // 32 ranges of the first character, about 1,000 each: none empty, none holding a double share
        for (char c : "0123456789abcdefghjkmnpqrstvwxyz".toCharArray()) {
            assertThat(firsts[c]).as("ids starting with " + c).isBetween(700, 1_300);
        }
    }
}
