package io.github.conversationstore.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The owner-listing benchmark runs, and one page is one command whose reply does not grow with other owners. */
class OwnerListingSmokeTest {
    @Test
    void measuresBothSidesAndTheWire() {
        OwnerListing.Result result = OwnerListing.measure(100, 2_000, 40);

        assertThat(result.smallMicros()).isPositive();
        assertThat(result.largeMicros()).isPositive();
        assertThat(result.mongoCommandsPerPage()).isEqualTo(1);
        assertThat(result.mongoReplyBytesLarge()).isEqualTo(result.mongoReplyBytesSmall());
    }
}
