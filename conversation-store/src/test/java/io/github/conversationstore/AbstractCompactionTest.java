package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.Summarizer;
import io.github.conversationstore.spi.SummaryRequest;
import io.github.conversationstore.spi.TokenCounter;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Compaction in the turn service against every store. Every message counts 10 tokens, so the
 * ranges are predictable: with a trigger of 100, 40 kept and summaries of at most 30 tokens, the
 * sixth turn (12 messages, 120 tokens) summarizes {@code [0, 8)}, the ninth {@code [8, 14)}.
 */
abstract class AbstractCompactionTest extends AbstractTwoStoreTest {
    private static final TokenCounter TEN_EACH = message -> 10;

    /** A summarizer that names the range it covers and counts its calls. */
    static final class RangeSummarizer implements Summarizer {
        final List<SummaryRequest> requests = new CopyOnWriteArrayList<>();
        volatile RuntimeException failNext;

        @Override
        public Message summarize(SummaryRequest request) {
            requests.add(request);
            RuntimeException failure = failNext;
            if (failure != null) {
                failNext = null;
                throw failure;
            }
            String before = request.previousSummary().map(s -> s.message().text() + " + ").orElse("");
            return Message.system(before + "S[" + request.fromSequence() + "," + request.toSequence() + ")");
        }
    }

    private static Compaction.Builder policy(Summarizer summarizer) {
        return Compaction.builder().triggerTokens(100).keepTokens(40).summaryTokens(30).tokenCounter(TEN_EACH)
                .summarizer(summarizer);
    }

    private static TurnService.Builder turns(ConversationStore store, ScriptedReplyProvider provider, Compaction policy) {
        return TurnService.builder(store).provider(provider).compaction(policy).replyTimeout(Duration.ofSeconds(5))
                .retryBackoff(Duration.ofMillis(10)).busyTimeout(Duration.ofSeconds(20));
    }

    private static ScriptedReplyProvider echo() {
        return ScriptedReplyProvider.of(request -> Reply.of("answer to " + request.userMessage().text()));
    }

    private static void turns(TurnService service, String session, int from, int to) {
        for (int i = from; i <= to; i++) {
            service.respond("s", "en", "question " + i, session + "-turn-" + i);
        }
    }

    @Test
    void longConversation_isSummarizedInContiguousRanges_historyKept_providerSeesSummaryThenTail() {
        RangeSummarizer summarizer = new RangeSummarizer();
        ScriptedReplyProvider provider = echo();
        try (TurnService service = turns(first, provider, policy(summarizer).build()).build()) {
            turns(service, "a", 1, 5);
            assertThat(second.summaries("s")).isEmpty();

            turns(service, "a", 6, 6);
            assertThat(second.summaries("s")).extracting(Summary::fromSequence, Summary::toSequence)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(0L, 8L));

            turns(service, "a", 7, 9);
            List<Summary> summaries = second.summaries("s");
            assertThat(summaries).extracting(Summary::fromSequence, Summary::toSequence).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(0L, 8L), org.assertj.core.groups.Tuple.tuple(8L, 14L));
            assertThat(summaries.get(1).message().text()).isEqualTo("S[0,8) + S[8,14)");
            assertThat(summaries.get(1).tokenCount()).isEqualTo(10);
            assertThat(summarizer.requests).hasSize(2);

            // the raw history stays: every message, summarized or not
            assertThat(second.readMessages("s", 0, 100)).hasSize(18).extracting(StoredMessage::sequence)
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 18).boxed().toList());

            turns(service, "a", 10, 10);
            ReplyRequest last = provider.requests().get(provider.requests().size() - 1);
            assertThat(last.window().get(0).role()).isEqualTo(Role.SYSTEM);
            assertThat(last.window().get(0).text()).isEqualTo("S[0,8) + S[8,14)");
            assertThat(last.window().subList(1, last.window().size())).extracting(StoredMessage::sequence)
                    .containsExactly(14L, 15L, 16L, 17L);
            long tokens = (last.window().size() + 1) * 10L;
            assertThat(tokens).isLessThanOrEqualTo(100);
        }
    }

    @Test
    void failingSummarizer_neverFailsTheTurn_andTheRangeIsSummarizedAtTheNextTurn() {
        RangeSummarizer summarizer = new RangeSummarizer();
        try (TurnService service = turns(first, echo(), policy(summarizer).build()).build()) {
            turns(service, "b", 1, 5);
            summarizer.failNext = new IllegalStateException("model down");

            TurnResult sixth = service.respond("s", "en", "question 6", "b-turn-6");

            assertThat(sixth.reply().text()).isEqualTo("answer to question 6");
            assertThat(second.summaries("s")).isEmpty();
            turns(service, "b", 7, 7);
            assertThat(second.summaries("s")).extracting(Summary::fromSequence).containsExactly(0L);
            assertThat(summarizer.requests).hasSize(2);
        }
    }

    @Test
    void slowSummarizer_timesOut_turnKeepsItsReply() {
        AtomicInteger calls = new AtomicInteger();
        Summarizer slow = request -> {
            if (calls.incrementAndGet() == 1) {
                Thread.sleep(5_000);
            }
            return Message.system("late summary");
        };
        Compaction compaction = policy(slow).timeout(Duration.ofMillis(200)).build();
        try (TurnService service = turns(first, echo(), compaction).build()) {
            turns(service, "c", 1, 6);
            assertThat(second.summaries("s")).isEmpty();
            assertThat(second.readMessages("s", 0, 100)).hasSize(12);
            turns(service, "c", 7, 7);
            assertThat(second.summaries("s")).hasSize(1);
        }
    }

    @Test
    void emptyOrOversizedSummary_isNotStored_andTriedAgain() {
        AtomicInteger calls = new AtomicInteger();
        Summarizer bad = request -> switch (calls.incrementAndGet()) {
            case 1 -> Message.system("x oversized");
            case 2 -> Message.system(" ");
            case 3 -> null;
            default -> Message.system("fine");
        };
        TokenCounter counter = message -> message.text().startsWith("x") ? 50 : 10;
        try (TurnService service = turns(first, echo(), policy(bad).tokenCounter(counter).build()).build()) {
            turns(service, "d", 1, 6); // oversized: 50 tokens > 30
            turns(service, "d", 7, 7); // blank
            turns(service, "d", 8, 8); // null
            assertThat(second.summaries("s")).isEmpty();
            turns(service, "d", 9, 9);
            assertThat(second.summaries("s")).extracting(s -> s.message().text()).containsExactly("fine");
            assertThat(calls).hasValue(4);
        }
    }

    @Test
    void sessionDeletedWhileSummarizing_nothingStoredInTheNewLife() {
        AtomicInteger calls = new AtomicInteger();
        Summarizer deleting = request -> {
            if (calls.incrementAndGet() == 1) {
                second.deleteConversation("s");
                for (int i = 0; i < 12; i++) { // as long as the old life: only the ids tell them apart
                    second.appendMessages("s", "en", List.of(Message.user("a new life " + i)));
                }
            }
            return Message.system("summary of the old life");
        };
        try (TurnService service = turns(first, echo(), policy(deleting).build()).build()) {
            turns(service, "e", 1, 6);
            assertThat(calls).hasValue(1);
            assertThat(second.summaries("s")).isEmpty();
            assertThat(second.readMessages("s", 0, 100)).hasSize(12).allMatch(m -> m.text().startsWith("a new life"));
            TurnResult next = service.respond("s", "en", "and now", "e-turn-7");
            assertThat(next.reply().sequence()).isEqualTo(13);
        }
    }

    @Test
    void toolExchanges_areNeverSplitByASummary() {
        ToolSpec spec = new ToolSpec("lookup", "Looks a word up.", "{\"type\":\"object\"}");
        Tool lookup = Tool.of(spec, invocation -> ToolOutput.text("found"));
        AtomicInteger step = new AtomicInteger();
        // every turn: one tool call, its result, then the answer (4 messages a turn)
        ScriptedReplyProvider provider = ScriptedReplyProvider.of(request -> request.steps().isEmpty()
                ? Reply.of(new Part.ToolCall("call-" + step.incrementAndGet(), "lookup", "{}"))
                : Reply.of("looked up"));
        RangeSummarizer summarizer = new RangeSummarizer();
        Compaction compaction = Compaction.builder().triggerTokens(100).keepTokens(25).summaryTokens(30)
                .tokenCounter(TEN_EACH).summarizer(summarizer).build();
        try (TurnService service = TurnService.builder(first).provider(provider).tools(lookup).compaction(compaction)
                .retryBackoff(Duration.ofMillis(10)).build()) {
            for (int i = 1; i <= 12; i++) {
                service.respond("s", "en", "word " + i, "f-turn-" + i);
            }
        }
        List<StoredMessage> all = second.readMessages("s", 0, 100);
        List<Summary> summaries = second.summaries("s");
        assertThat(summaries).hasSizeGreaterThan(1);
        long end = 0;
        for (Summary summary : summaries) {
            assertThat(summary.fromSequence()).isEqualTo(end);
            end = summary.toSequence();
            assertThat(all.get((int) end).role()).as("the message after [%d, %d)", summary.fromSequence(), end)
                    .isNotEqualTo(Role.TOOL);
        }
        for (SummaryRequest request : summarizer.requests) {
            assertThat(ToolPairs.keepWhole(request.messages())).isEqualTo(request.messages());
        }
    }

    @Test
    void twoProcesses_summarizingTheSameRange_storeOneSummary() throws Exception {
        CountDownLatch aSummarized = new CountDownLatch(1);
        CountDownLatch bStored = new CountDownLatch(1);
        RangeSummarizer aSummarizer = new RangeSummarizer();
        RangeSummarizer bSummarizer = new RangeSummarizer();
        // process A pauses (a GC pause) after its summarizer returned and before it stores, longer
        // than its lease: B takes the lease, summarizes the same range and stores it first
        java.util.function.Consumer<String> pause = step -> {
            if (step.equals(TurnService.STEP_SUMMARIZED) && aSummarized.getCount() > 0) {
                aSummarized.countDown();
                try {
                    assertThat(bStored.await(20, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Compaction quick = policy(aSummarizer).timeout(Duration.ofMillis(400)).build();
        try (TurnService a = turns(first, echo(), quick).replyTimeout(Duration.ofMillis(500))
                        .leaseDuration(Duration.ofSeconds(1)).hook(pause).build();
                TurnService b = turns(second, echo(), policy(bSummarizer).build()).build()) {
            turns(a, "g", 1, 5);
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<TurnResult> sixth = pool.submit(() -> a.respond("s", "en", "question 6", "g-turn-6"));
                assertThat(aSummarized.await(20, TimeUnit.SECONDS)).isTrue();
                // B waits for A's lease to expire, then compacts the same 12 messages
                Summary stored = b.compact("s").orElseThrow();
                bStored.countDown();
                assertThat(sixth.get(20, TimeUnit.SECONDS).reply().text()).isEqualTo("answer to question 6");
                assertThat(stored.fromSequence()).isZero();
                assertThat(stored.toSequence()).isEqualTo(8);
                assertThat(aSummarizer.requests).hasSize(1);
                assertThat(bSummarizer.requests).hasSize(1);
                assertThat(second.summaries("s")).containsExactly(stored);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void twoProcessesRacingTurns_neverStoreARangeTwice_andEveryTurnHasOneReply() throws Exception {
        RangeSummarizer sa = new RangeSummarizer();
        RangeSummarizer sb = new RangeSummarizer();
        int perThread = 6;
        try (TurnService a = turns(first, echo(), policy(sa).build()).build();
                TurnService b = turns(second, echo(), policy(sb).build()).build()) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    TurnService service = t % 2 == 0 ? a : b;
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            service.respond("s", "en", "q" + thread + "-" + i, "h-" + thread + "-" + i);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
        }
        List<StoredMessage> all = second.readMessages("s", 0, 1000);
        assertThat(all).hasSize(4 * perThread * 2);
        List<Summary> summaries = second.summaries("s");
        assertThat(summaries).isNotEmpty();
        Set<String> ranges = ConcurrentHashMap.newKeySet();
        long end = 0;
        for (Summary s : summaries) {
            assertThat(ranges.add(s.fromSequence() + "-" + s.toSequence())).isTrue();
            assertThat(s.fromSequence()).isEqualTo(end);
            end = s.toSequence();
        }
        assertThat(sa.requests.size() + sb.requests.size()).isEqualTo(summaries.size());
    }

    @Test
    void compactNow_summarizesWhatIsDue_andRefusesWithoutAPolicy() {
        RangeSummarizer summarizer = new RangeSummarizer();
        try (TurnService plain = TurnService.builder(first).provider(echo()).build()) {
            plain.respond("s", "en", "hello", "i-0");
            assertThatThrownBy(() -> plain.compact("s")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("compaction");
        }
        // one turn without compaction (2 messages), 9 more by hand: 110 tokens, over the trigger
        for (int i = 0; i < 9; i++) {
            first.appendMessages("s", "en", List.of(Message.user("note " + i)));
        }
        try (TurnService service = turns(first, echo(), policy(summarizer).build()).build()) {
            assertThat(service.compact("s")).map(Summary::toSequence).contains(7L);
            assertThat(service.compact("s")).isEmpty();
            assertThatThrownBy(() -> service.compact("missing")).isInstanceOf(java.util.NoSuchElementException.class)
                    .hasMessageContaining("missing");
        }
        assertThat(second.readMessages("s", 0, 100)).hasSize(11);
    }

    @Test
    void defaultSummarizer_asksTheTurnsProvider_inSummaryMode_withThePreviousSummaryFirst() {
        ScriptedReplyProvider provider = ScriptedReplyProvider.of(request -> Summarizer.MODE.equals(request.mode())
                ? Reply.of("summary " + request.window().size()).withModel("m-1").withUsage(new TokenUsage(7, 3))
                : Reply.of("answer"));
        Compaction compaction = Compaction.builder().triggerTokens(100).keepTokens(40).summaryTokens(30)
                .tokenCounter(TEN_EACH).build();
        try (TurnService service = turns(first, provider, compaction).build()) {
            turns(service, "j", 1, 9);
        }
        List<ReplyRequest> asked = provider.requests().stream().filter(r -> Summarizer.MODE.equals(r.mode())).toList();
        assertThat(asked).hasSize(2);
        assertThat(asked.get(0).window()).hasSize(8);
        assertThat(asked.get(0).userMessage().text()).contains("Summarize").contains("22 words");
        assertThat(asked.get(1).window().get(0).text()).isEqualTo("summary 8");
        assertThat(asked.get(1).window()).hasSize(7);
        Summary newest = second.summaries("s").get(1);
        assertThat(newest.message().text()).isEqualTo("summary 7");
        assertThat(newest.message().metadata()).containsEntry(Message.MODEL, "m-1")
                .containsEntry(Message.USAGE, java.util.Map.of("inputTokens", 7, "outputTokens", 3));
    }

    @Test
    void badSettings_areRefusedNamingTheRule() {
        assertThatThrownBy(() -> Compaction.builder().triggerTokens(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("triggerTokens must be positive");
        assertThatThrownBy(() -> Compaction.builder().keepTokens(-1)).hasMessageContaining("keepTokens");
        assertThatThrownBy(() -> Compaction.builder().summaryTokens(0)).hasMessageContaining("summaryTokens");
        assertThatThrownBy(() -> Compaction.builder().timeout(Duration.ZERO)).hasMessageContaining("timeout");
        assertThatThrownBy(() -> Compaction.builder().triggerTokens(100).keepTokens(80).summaryTokens(20).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("must be below triggerTokens");
        Compaction ok = Compaction.builder().build();
        assertThatThrownBy(() -> TurnService.builder(first).provider(echo()).windowMessages(5).compaction(ok).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("compaction replaces windowMessages");
        assertThatThrownBy(() -> new SummaryRequest("s", "en", null, List.of(), 10))
                .hasMessageContaining("messages must not be empty");
    }
}
