package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link TurnService#regenerate} and {@link TurnService#edit} (issue 23) on every store, through
 * two stores over the same data (two processes on MongoDB).
 */
abstract class AbstractBranchTurnTest extends AbstractTwoStoreTest {

    private static TurnService service(ConversationStore store, ReplyProvider provider) {
        return TurnService.builder(store).provider(provider).replyTimeout(Duration.ofSeconds(5))
                .retryBackoff(Duration.ofMillis(10)).busyTimeout(Duration.ofSeconds(5)).build();
    }

    /** Answers "answer N to: <user text> after <window size>", counting calls. */
    private static ReplyProvider counting(AtomicInteger calls) {
        return request -> Reply.of("answer " + calls.incrementAndGet() + " to: " + request.userMessage().text()
                + " after " + request.window().size());
    }

    private List<String> texts(ConversationStore store, String sessionId) {
        return store.readMessages(sessionId, 0, 1000).stream().map(StoredMessage::text).toList();
    }

    @Test
    void regenerate_answersTheSameMessageAgainOnABranch_andLeavesTheOriginal() {
        AtomicInteger calls = new AtomicInteger();
        try (TurnService turns = service(first, counting(calls))) {
            turns.respond("s", "es", "hola", "t1");
            turns.respond("s", "es", "¿qué tal?", "t2");
            turns.respond("s", "es", "adiós", "t3");
            List<String> original = texts(first, "s");

            Branch branch = turns.regenerate("s", "t2", "t2-again");

            assertThat(branch.sessionId()).isNotEqualTo("s");
            assertThat(branch.turn().reply().text()).isEqualTo("answer 4 to: ¿qué tal? after 2");
            assertThat(texts(second, branch.sessionId())).containsExactly("hola", "answer 1 to: hola after 0", "¿qué tal?",
                    "answer 4 to: ¿qué tal? after 2");
            assertThat(texts(second, "s")).containsExactlyElementsOf(original);
            ConversationHeader header = second.findConversation(branch.sessionId()).orElseThrow();
            assertThat(header.forkedFrom().sessionId()).isEqualTo("s");
            assertThat(header.forkedFrom().atSequence()).isEqualTo(2);
            assertThat(second.listForks("s", null, 10)).extracting(ConversationHeader::sessionId)
                    .containsExactly(branch.sessionId());
        }
    }

    @Test
    void regenerate_repeatedWithItsTurnId_replaysOneBranch_inAnotherProcess() {
        AtomicInteger calls = new AtomicInteger();
        try (TurnService turns = service(first, counting(calls)); TurnService other = service(second, counting(calls))) {
            turns.respond("s", "es", "hola", "t1");
            Branch made = turns.regenerate("s", "t1", "again");
            Branch repeat = other.regenerate("s", "t1", "again");

            assertThat(repeat.sessionId()).isEqualTo(made.sessionId());
            assertThat(repeat.turn().replayed()).isTrue();
            assertThat(repeat.turn().reply().text()).isEqualTo(made.turn().reply().text());
            assertThat(calls).hasValue(2);
            assertThat(second.listForks("s", null, 10)).hasSize(1);
            assertThat(texts(second, made.sessionId())).hasSize(2);
            Branch another = other.regenerate("s", "t1", "once more");
            assertThat(another.sessionId()).isNotEqualTo(made.sessionId());
            assertThat(second.listForks("s", null, 10)).hasSize(2);
        }
    }

    @Test
    void edit_branchesBeforeTheUserMessage_withTheNewText() {
        AtomicInteger calls = new AtomicInteger();
        try (TurnService turns = service(first, counting(calls))) {
            turns.respond("s", "es", "hola", "t1");
            turns.respond("s", "es", "me llamo Ana", "t2");
            Branch edited = turns.edit("s", "t2", "me llamo Eva", "t2-edit");

            assertThat(texts(second, edited.sessionId())).containsExactly("hola", "answer 1 to: hola after 0", "me llamo Eva",
                    "answer 3 to: me llamo Eva after 2");
            assertThat(texts(second, "s")).contains("me llamo Ana").doesNotContain("me llamo Eva");
            // the branch goes on as any conversation, and can be branched again
            turns.respond(edited.sessionId(), "es", "¿y tú?", "t3");
            Branch again = turns.edit(edited.sessionId(), "t3", "¿y usted?", "t3-edit");
            assertThat(texts(second, again.sessionId())).containsExactly("hola", "answer 1 to: hola after 0",
                    "me llamo Eva", "answer 3 to: me llamo Eva after 2", "¿y usted?", "answer 5 to: ¿y usted? after 4");
            assertThatThrownBy(() -> turns.edit("s", "t2", "other text", "t2-edit"))
                    .isInstanceOf(AppendConflictException.class);
        }
    }

    @Test
    void regenerateAndEdit_badInput_areRefusedNamingTheArgument_andWriteNothing() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch inProvider = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ReplyProvider slow = request -> {
            if (request.userMessage().text().equals("slow")) {
                inProvider.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return Reply.of("answer " + calls.incrementAndGet());
        };
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (TurnService turns = service(first, slow)) {
            turns.respond("s", "es", "hola", "t1");
            assertThatThrownBy(() -> turns.regenerate("s", "nope", "n1")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("turnId");
            assertThatThrownBy(() -> turns.regenerate("missing", "t1", "n1")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("sessionId");
            assertThatThrownBy(() -> turns.regenerate("s", "t1", "t1")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("newTurnId");
            assertThatThrownBy(() -> turns.edit("s", "t1", null, "n1")).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("newText");

            Future<TurnResult> running = pool.submit(() -> turns.respond("s", "es", "slow", "t2"));
            assertThat(inProvider.await(10, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> turns.regenerate("s", "t2", "n2")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("t2").hasMessageContaining("running");
            release.countDown();
            running.get(10, TimeUnit.SECONDS);
            assertThat(second.listForks("s", null, 10)).isEmpty();
            assertThat(turns.regenerate("s", "t2", "n2").turn().userMessage().text()).isEqualTo("slow");
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }
}
