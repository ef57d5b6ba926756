package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.LeaseLostException;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.SteppableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, item 5: the server clock was the JVM's wall clock corrected by a measured offset, so
 * stepping a JVM's clock by 80 s after the store measured let that JVM take another JVM's live
 * lease within 0.2 s. The server's time is now extrapolated from the last measurement with the
 * monotonic clock: a wall-clock step changes nothing.
 */
class ClockStepBreaksTheLeaseTest extends EmbeddedMongoTestBase {

    @Test
    void jvmWhoseClockIsSteppedAfterTheMeasurement_cannotTakeALiveLease() {
        String collection = "step" + System.nanoTime();
        SteppableClock stepped = new SteppableClock(Duration.ZERO);
        try (ConversationStore live = MongoConversationStore.builder().client(client).database("issues")
                        .collection(collection).build();
                ConversationStore other = MongoConversationStore.builder().client(client).database("issues")
                        .collection(collection).createIndexes(true).clock(stepped).build()) {
            assertThat(live.tryAcquireLease("s", "en", "live turn", Duration.ofSeconds(30))).isTrue();
            assertThat(other.tryAcquireLease("s", "en", "other turn", Duration.ofSeconds(30))).isFalse();

            stepped.step(Duration.ofSeconds(80)); // after the store measured the server's clock

            assertThat(other.tryAcquireLease("s", "en", "other turn", Duration.ofSeconds(30)))
                    .as("the live lease is the live turn's").isFalse();
            assertThatThrownBy(() -> other.appendMessages(AppendRequest.builder("s", "en").leaseHolder("other turn")
                    .messages(Message.user("not mine")).build())).isInstanceOf(LeaseLostException.class);
            other.appendMessages("s", "en", List.of(Message.user("unfenced")));
            assertThat(other.findConversation("s").orElseThrow().updatedAt())
                    .as("updatedAt is the server's time").isBefore(Instant.now().plusSeconds(5));

            stepped.step(Duration.ofSeconds(-200));
            assertThat(other.tryAcquireLease("s", "en", "other turn", Duration.ofSeconds(30))).isFalse();
            assertThat(other.findConversation("s").orElseThrow().updatedAt()).isAfter(Instant.now().minusSeconds(5));
        }
    }
}
