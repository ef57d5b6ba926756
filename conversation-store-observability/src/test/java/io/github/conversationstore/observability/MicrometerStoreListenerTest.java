package io.github.conversationstore.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyRequest;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MicrometerStoreListenerTest {
    @Test
    void extraTags_areOnEveryMeter() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MicrometerStoreListener meters = MicrometerStoreListener.builder(registry).tag("store", "tutor")
                .tags(Tags.of("region", "eu")).build();
        try (InMemoryConversationStore store = InMemoryConversationStore.builder().listener(meters).build()) {
            store.appendMessages("s", "es", List.of(Message.user("hola")));
            store.recentMessages("s", 1);
            store.deleteConversation("s");
        }
        assertThat(registry.getMeters()).hasSizeGreaterThan(10).allSatisfy(m -> {
            assertThat(m.getId().getTag("store")).isEqualTo("tutor");
            assertThat(m.getId().getTag("region")).isEqualTo("eu");
        });
        assertThat(registry.getMeters()).extracting(Meter::getId).extracting(Meter.Id::getName)
                .allSatisfy(name -> assertThat(name).matches("conversation\\.store(\\.[a-z]+)+"));
    }

    @Test
    void activeTurns_countTheTurnsUnderWay() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MicrometerStoreListener meters = MicrometerStoreListener.create(registry);
        AtomicInteger activeDuringReply = new AtomicInteger(-1);
        ReplyProvider provider = new ReplyProvider() {
            @Override
            public Reply reply(ReplyRequest request) {
                activeDuringReply.set(registry.get(MicrometerStoreListener.TURN_ACTIVE).longTaskTimer().activeTasks());
                if (request.userMessage().text().equals("fail")) {
                    throw new IllegalStateException("boom");
                }
                return Reply.of("ok");
            }
        };
        try (InMemoryConversationStore store = InMemoryConversationStore.create();
                TurnService turns = TurnService.builder(store).provider(provider).maxProviderAttempts(1).listener(meters).build()) {
            turns.respond("s", "es", "hola", "t1");
            assertThat(activeDuringReply.get()).isEqualTo(1);
            assertThatThrownBy(() -> turns.respond("s", "es", "fail", "t2"));
            assertThat(activeDuringReply.get()).isEqualTo(1);
            turns.respond("s", "es", "hola", "t1"); // replayed
        }
        assertThat(registry.get(MicrometerStoreListener.TURN_ACTIVE).longTaskTimer().activeTasks()).isZero();
        assertThat(registry.get(MicrometerStoreListener.TURN).tags("outcome", "ok", "replayed", "false").timer().count()).isEqualTo(1);
        assertThat(registry.get(MicrometerStoreListener.TURN).tags("outcome", "ok", "replayed", "true").timer().count()).isEqualTo(1);
        assertThat(registry.get(MicrometerStoreListener.TURN).tags("outcome", "ReplyFailedException").timer().count()).isEqualTo(1);
        assertThat(registry.get(MicrometerStoreListener.PROVIDER_CALL).tags("outcome", "ReplyFailedException").timer().count())
                .isEqualTo(1);
    }
}
