package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.TokenUsage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Turns against every store. {@link #first} and {@link #second} are two stores over the same data:
 * for MongoDB two clients (standing for two processes), in memory the same store.
 */
@SuppressWarnings("deprecation") // the tutor attributes, deprecated in 0.3, keep working
abstract class AbstractTurnServiceTest extends AbstractTwoStoreTest {

    private TurnService.Builder turns(ConversationStore store, ReplyProvider provider) {
        return TurnService.builder(store).provider(provider)
                .replyTimeout(Duration.ofSeconds(5)).retryBackoff(Duration.ofMillis(10)).busyTimeout(Duration.ofSeconds(20));
    }

    private static ReplyProvider failing(AtomicInteger calls, int failures, boolean retryable) {
        return request -> {
            if (calls.incrementAndGet() <= failures) {
                throw new ReplyProviderException("provider down (call " + calls.get() + ")", retryable, null);
            }
            return Reply.of("reply " + calls.get()).withGrammarSuggestion("ok").withUsage(new TokenUsage(10, 5));
        };
    }

    @Test
    void respond_storesUserMessageThenReplyWithExtras() {
        ScriptedReplyProvider provider = ScriptedReplyProvider.of(
                Reply.of("¡Hola!").withGrammarSuggestion("Hola (no accent)").withTranslation("Hello!"));
        try (TurnService service = turns(first, provider).build()) {
            first.appendMessages("s", "es", List.of(Message.system("You are a Spanish tutor.")));

            TurnResult result = service.respond("s", "es", "hola", "turn-1");

            assertThat(result.userMessage().sequence()).isEqualTo(1);
            assertThat(result.userMessage().message().id()).isEqualTo("turn-1:user");
            assertThat(result.reply().sequence()).isEqualTo(2);
            assertThat(result.reply().role()).isEqualTo(Role.ASSISTANT);
            assertThat(result.reply().message().grammarSuggestion()).contains("Hola (no accent)");
            assertThat(result.replayed()).isFalse();
            assertThat(first.readMessages("s", 0, 10)).extracting(StoredMessage::text)
                    .containsExactly("You are a Spanish tutor.", "hola", "¡Hola!");
            ReplyRequest request = provider.requests().get(0);
            assertThat(request.window()).extracting(StoredMessage::text).containsExactly("You are a Spanish tutor.");
            assertThat(request.userMessage().text()).isEqualTo("hola");
            assertThat(request.language()).isEqualTo("es");
            assertThat(request.mode()).isEqualTo(ReplyRequest.CONVERSATION);
            assertThat(request.turnId()).isEqualTo("turn-1");
        }
    }

    @Test
    void respond_replysModelFinishReasonAndUsage_storedAsNativeMetadataOfTheReply() {
        ScriptedReplyProvider provider = ScriptedReplyProvider.of(Reply.of("¡Hola!").withModel("claude-test")
                .withFinishReason("end_turn").withMetadata("cached", true).withUsage(new TokenUsage(120, 7)));
        try (TurnService service = turns(first, provider).build()) {
            TurnResult result = service.respond("s", "es", "hola", "turn-1");

            Message stored = second.readMessages("s", 1, 1).get(0).message();
            assertThat(stored).isEqualTo(result.reply().message());
            assertThat(stored.metadata()).containsEntry(Message.MODEL, "claude-test")
                    .containsEntry(Message.FINISH_REASON, "end_turn").containsEntry("cached", true)
                    .containsEntry(Message.USAGE, java.util.Map.of("inputTokens", 120, "outputTokens", 7));
            assertThat(second.readMessages("s", 0, 1).get(0).message().metadata()).isEmpty();
        }
    }

    @Test
    void respond_afterAnEarlierTurnLeftAToolCallWithoutResult_windowLeavesItOutAndTheTurnSucceeds() {
        ScriptedReplyProvider provider = ScriptedReplyProvider.of(Reply.of("Claro."));
        try (TurnService service = turns(first, provider).build()) {
            first.appendMessages("s", "es", List.of(Message.user("conjuga ir"),
                    Message.of(Role.ASSISTANT, new Part.ToolCall("c1", "conjugate", "{\"verb\":\"ir\"}"))));
            first.appendMessages("s", "es", List.of(Message.tool(Part.ToolResult.text("c0", "conjugate", "orphan"))));

            service.respond("s", "es", "¿y ser?", "turn-2");

            ReplyRequest request = provider.requests().get(0);
            assertThat(request.window()).extracting(StoredMessage::text).containsExactly("conjuga ir");
            MessageModelContract.assertToolPairsWhole(request.window());
            assertThat(first.readMessages("s", 0, 10)).hasSize(5);
        }
    }

    @Test
    void respond_retryableFailures_retriedWithinBoundAndReplyStoredOnce() {
        AtomicInteger calls = new AtomicInteger();
        try (TurnService service = turns(first, failing(calls, 2, true)).maxProviderAttempts(3).build()) {
            TurnResult result = service.respond("s", "en", "hello");

            assertThat(calls.get()).isEqualTo(3);
            assertThat(result.reply().text()).isEqualTo("reply 3");
            assertThat(result.usage()).isEqualTo(new TokenUsage(10, 5));
            assertThat(first.readMessages("s", 0, 10)).extracting(StoredMessage::role).containsExactly(Role.USER, Role.ASSISTANT);
        }
    }

    @Test
    void respond_providerFails_userMessageKeptAndSameTurnIdCompletesWithoutDuplicate() {
        AtomicInteger calls = new AtomicInteger();
        try (TurnService broken = turns(first, failing(calls, 1, false)).build();
                TurnService fixed = turns(second, ScriptedReplyProvider.echo()).build()) {
            assertThatThrownBy(() -> broken.respond("s", "en", "are you there?", "t-1"))
                    .isInstanceOf(ReplyFailedException.class)
                    .hasMessageContaining("provider down")
                    .hasMessageContaining("retry with the same turn id")
                    .satisfies(e -> {
                        assertThat(((ReplyFailedException) e).isRetryable()).isFalse();
                        assertThat(((ReplyFailedException) e).turnId()).isEqualTo("t-1");
                    });
            assertThat(calls.get()).as("non-retryable failures are not retried").isEqualTo(1);
            assertThat(first.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("are you there?");

            TurnResult retried = fixed.respond("s", "en", "are you there?", "t-1");

            assertThat(retried.userMessage().sequence()).isZero();
            assertThat(retried.reply().text()).isEqualTo("echo: are you there?");
            assertThat(second.readMessages("s", 0, 10)).extracting(StoredMessage::text)
                    .containsExactly("are you there?", "echo: are you there?");
        }
    }

    @Test
    void respond_sameTurnIdAfterSuccess_replaysWithoutCallingProviderOrStoring() {
        ScriptedReplyProvider provider = ScriptedReplyProvider.echo();
        try (TurnService service = turns(first, provider).build()) {
            TurnResult once = service.respond("s", "en", "hi", "t-9");

            TurnResult again = service.respond("s", "en", "hi", "t-9");

            assertThat(again.replayed()).isTrue();
            assertThat(again.reply()).isEqualTo(once.reply());
            assertThat(again.userMessage()).isEqualTo(once.userMessage());
            assertThat(provider.requests()).hasSize(1);
            assertThat(first.readMessages("s", 0, 10)).hasSize(2);
        }
    }

    @Test
    void respond_providerHangs_timesOutRetryablyAndKeepsUserMessage() {
        AtomicInteger calls = new AtomicInteger();
        ReplyProvider hanging = request -> {
            calls.incrementAndGet();
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Reply.of("too late");
        };
        try (TurnService service = turns(first, hanging).replyTimeout(Duration.ofMillis(200)).maxProviderAttempts(2).build()) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> service.respond("s", "en", "anyone?"))
                    .isInstanceOf(ReplyFailedException.class)
                    .hasMessageContaining("no reply within")
                    .satisfies(e -> assertThat(((ReplyFailedException) e).isRetryable()).isTrue());
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);
            assertThat(calls.get()).isEqualTo(2);
            assertThat(first.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("anyone?");
        }
    }

    @Test
    void respond_providerReturnsGarbage_failsWithoutStoringReply() {
        List<ReplyProvider> garbage = List.of(
                request -> null,
                request -> Reply.of("   "),
                request -> Reply.of("ok").withAttribute("$where", "1"),
                request -> {
                    throw new IllegalStateException("parse error in provider");
                });
        for (int i = 0; i < garbage.size(); i++) {
            String session = "garbage-" + i;
            try (TurnService service = turns(first, garbage.get(i)).build()) {
                assertThatThrownBy(() -> service.respond(session, "en", "hi"))
                        .as("garbage case %d", i)
                        .isInstanceOf(ReplyFailedException.class)
                        .satisfies(e -> assertThat(((ReplyFailedException) e).isRetryable()).isFalse());
            }
            assertThat(first.readMessages(session, 0, 10)).extracting(StoredMessage::role).containsExactly(Role.USER);
        }
    }

    @Test
    void respond_concurrentTurnsOnOneSession_fromTwoStores_areSerialized() throws Exception {
        ScriptedReplyProvider provider = ScriptedReplyProvider.echo();
        int threads = 6;
        int turnsEach = 3;
        try (TurnService a = turns(first, provider).windowMessages(1000).build();
                TurnService b = turns(second, provider).windowMessages(1000).build()) {
            AbstractConversationStoreContractTest.runConcurrently(threads, t -> {
                for (int i = 0; i < turnsEach; i++) {
                    (t % 2 == 0 ? a : b).respond("shared", "en", "u" + t + "-" + i);
                }
                return null;
            });
        }
        List<StoredMessage> stored = first.readMessages("shared", 0, 1000);
        assertThat(stored).hasSize(threads * turnsEach * 2);
        for (int i = 0; i < stored.size(); i += 2) {
            assertThat(stored.get(i).role()).isEqualTo(Role.USER);
            assertThat(stored.get(i + 1).text()).isEqualTo("echo: " + stored.get(i).text());
        }
        // every reply was produced seeing every earlier message of the session
        for (ReplyRequest request : provider.requests()) {
            long userSeq = stored.stream().filter(m -> m.message().id().equals(request.userMessage().id()))
                    .findFirst().orElseThrow().sequence();
            assertThat(request.window()).extracting(StoredMessage::sequence).containsExactlyElementsOf(
                    stored.subList(0, (int) userSeq).stream().map(StoredMessage::sequence).collect(Collectors.toList()));
        }
    }

    @Test
    void respond_whileAnotherTurnHoldsTheLease_waitsThenFailsBusy() {
        assertThat(second.tryAcquireLease("s", "en", "other-turn", Duration.ofMinutes(5))).isTrue();
        try (TurnService service = turns(first, ScriptedReplyProvider.echo()).busyTimeout(Duration.ofMillis(300)).build()) {
            assertThatThrownBy(() -> service.respond("s", "en", "hi"))
                    .isInstanceOf(ConversationBusyException.class)
                    .hasMessageContaining("'s' is busy")
                    .satisfies(e -> assertThat(((ConversationStoreException) e).isRetryable()).isTrue());
        }
        assertThat(first.readMessages("s", 0, 10)).isEmpty();
    }

    @Test
    void respond_afterLeaseHolderDiedMidTurn_takesOverWhenLeaseExpires() {
        // a process stored its user message, took the lease and died before replying
        first.appendMessages(AppendRequest.builder("s", "en").appendId("dead-turn:user")
                .messages(new Message("dead-turn:user", Role.USER, "first question", java.time.Instant.now(), java.util.Map.of()))
                .build());
        assertThat(first.tryAcquireLease("s", "en", "dead-holder", Duration.ofMillis(400))).isTrue();
        ScriptedReplyProvider provider = ScriptedReplyProvider.echo();
        try (TurnService survivor = turns(second, provider).build()) {
            TurnResult next = survivor.respond("s", "en", "second question");
            TurnResult finished = survivor.respond("s", "en", "first question", "dead-turn");

            assertThat(next.userMessage().sequence()).isEqualTo(1);
            assertThat(finished.userMessage().sequence()).as("not stored twice").isZero();
            assertThat(second.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly(
                    "first question", "second question", "echo: second question", "echo: first question");
        }
    }

    @Test
    void window_limitsMessagesAndCharacters() throws Exception {
        ScriptedReplyProvider provider = ScriptedReplyProvider.echo();
        for (int i = 0; i < 10; i++) {
            first.appendMessages("s", "en", List.of(Message.user("m" + i + "-" + "x".repeat(8))));
        }
        try (TurnService byCount = turns(first, provider).windowMessages(3).build()) {
            byCount.respond("s", "en", "count");
        }
        try (TurnService byChars = turns(first, provider).windowMessages(100).windowChars(25).build()) {
            byChars.respond("s", "en", "chars");
        }
        try (TurnService none = turns(first, provider).windowMessages(0).build()) {
            none.respond("s", "en", "none");
        }
        assertThat(provider.requests().get(0).window()).extracting(StoredMessage::text)
                .containsExactly("m7-xxxxxxxx", "m8-xxxxxxxx", "m9-xxxxxxxx");
        assertThat(provider.requests().get(1).window()).extracting(StoredMessage::text)
                .containsExactly("count", "echo: count");
        assertThat(provider.requests().get(2).window()).isEmpty();
    }

    @Test
    void builder_discoversProviderByName_andExplainsWhatIsMissing() {
        try (TurnService service = TurnService.builder(first).discoverProvider("test-discovered").build()) {
            assertThat(service.respond("s", "en", "ping").reply().text()).isEqualTo("discovered reply to ping");
        }
        assertThatThrownBy(() -> TurnService.builder(first).discoverProvider("nope").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("test-discovered");
        assertThatThrownBy(() -> TurnService.builder(first).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("provider is required");
        assertThatThrownBy(() -> TurnService.builder(first).provider(ScriptedReplyProvider.echo())
                .replyTimeout(Duration.ofSeconds(10)).leaseDuration(Duration.ofSeconds(5)).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("leaseDuration");
        assertThatThrownBy(() -> new TurnRequest("s", "en", "x", "t".repeat(101)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("turnId");
    }

    @Test
    void respond_interruptedCaller_failsAndReleasesLease() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        ReplyProvider slow = request -> {
            entered.countDown();
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Reply.of("late");
        };
        try (TurnService service = turns(first, slow).build()) {
            Thread caller = new Thread(() -> {
                try {
                    service.respond("s", "en", "hi");
                } catch (ReplyFailedException expected) {
                    // interrupted
                }
            });
            caller.start();
            assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
            caller.interrupt();
            caller.join(5_000);
            assertThat(caller.isAlive()).isFalse();
        }
        assertThat(second.tryAcquireLease("s", "en", "next", Duration.ofSeconds(5))).isTrue();
    }
}
