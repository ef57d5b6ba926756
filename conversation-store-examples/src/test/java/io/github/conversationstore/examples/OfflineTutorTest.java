package io.github.conversationstore.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.Message;
import io.github.conversationstore.Role;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class OfflineTutorTest {
    private static ReplyRequest request(String language, String text) {
        return new ReplyRequest("s1", language, List.of(),
                new Message("u", Role.USER, text, Instant.parse("2026-12-01T10:00:00Z"), Map.of()),
                ReplyRequest.CONVERSATION, "turn-1");
    }

    @Test
    void stream_deltasAreTheWordsInOrder_andJoinToTheReply() {
        List<String> deltas = new ArrayList<>();

        Reply streamed = new OfflineTutor().stream(request("es", "hola"), deltas::add);

        assertThat(streamed).isEqualTo(new OfflineTutor().reply(request("es", "hola")));
        assertThat(String.join("", deltas)).isEqualTo(streamed.text()).isEqualTo("¡Muy bien! ¿Qué hiciste hoy?");
        assertThat(deltas).containsExactly("¡Muy ", "bien! ", "¿Qué ", "hiciste ", "hoy?");
    }

    @Test
    void stream_inChinese_comesCharacterByCharacter_punctuationWithItsCharacter() {
        List<String> deltas = new ArrayList<>();

        Reply streamed = new OfflineTutor().stream(request("zh-CN", "你好"), deltas::add);

        assertThat(String.join("", deltas)).isEqualTo(streamed.text()).isEqualTo("很好！你今天做了什么？");
        assertThat(deltas).startsWith("很", "好！", "你").endsWith("么？").hasSize(9);
    }

    @Test
    void stream_waitsTheWordDelayBeforeEachWord() {
        List<Long> at = new ArrayList<>();
        long start = System.nanoTime();

        new OfflineTutor(Duration.ofMillis(30)).stream(request("es", "hola"), d -> at.add(System.nanoTime()));

        assertThat(at).hasSize(5);
        assertThat(Duration.ofNanos(at.get(0) - start)).isGreaterThanOrEqualTo(Duration.ofMillis(30));
        for (int i = 1; i < at.size(); i++) {
            assertThat(Duration.ofNanos(at.get(i) - at.get(i - 1))).isGreaterThanOrEqualTo(Duration.ofMillis(29));
        }
    }

    @Test
    void stream_interrupted_isARetryableFailureAndKeepsTheInterrupt() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Boolean> flag = new AtomicReference<>();
        Thread streaming = new Thread(() -> {
            try {
                new OfflineTutor(Duration.ofSeconds(10)).stream(request("es", "hola"), d -> { });
            } catch (RuntimeException e) {
                failure.set(e);
                flag.set(Thread.currentThread().isInterrupted());
            }
        });
        streaming.start();
        Thread.sleep(50);
        streaming.interrupt();
        streaming.join(5_000);

        assertThat(failure.get()).isInstanceOf(ReplyProviderException.class);
        assertThat(((ReplyProviderException) failure.get()).isRetryable()).isTrue();
        assertThat(flag.get()).isTrue();
    }

    @Test
    void negativeWordDelay_isRefusedNamingTheArgument() {
        assertThatThrownBy(() -> new OfflineTutor(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wordDelay");
    }

    @Test
    void latinText_getsACapitalAndAFullStop() {
        assertThat(OfflineTutor.suggestion("hola amigo")).isEqualTo("Hola amigo. (start with a capital letter and end with punctuation)");
        assertThat(OfflineTutor.suggestion("hola amigo!")).isEqualTo("Hola amigo! (start with a capital letter)");
        assertThat(OfflineTutor.suggestion("Hola amigo")).isEqualTo("Hola amigo. (end the sentence with .)");
        assertThat(OfflineTutor.suggestion("Hola amigo.")).isNull();
    }

    @Test
    void chineseText_getsTheIdeographicFullStop_andNoCapitalLetterAdvice() {
        assertThat(OfflineTutor.suggestion("我今天去公园")).isEqualTo("我今天去公园。 (end the sentence with 。)");
        assertThat(OfflineTutor.suggestion("我今天去公园。")).isNull();
        assertThat(OfflineTutor.suggestion("你好吗？")).isNull();
    }

    @Test
    void japaneseText_getsTheIdeographicFullStop_andNoCapitalLetterAdvice() {
        assertThat(OfflineTutor.suggestion("きょうはこうえんにいきます")).isEqualTo("きょうはこうえんにいきます。 (end the sentence with 。)");
        assertThat(OfflineTutor.suggestion("カタカナ")).isEqualTo("カタカナ。 (end the sentence with 。)");
        assertThat(OfflineTutor.suggestion("東京に行きます。")).isNull();
    }

    @Test
    void chineseSentenceEndingInLatinLetters_stillGetsTheIdeographicFullStop() {
        assertThat(OfflineTutor.suggestion("我喜欢 Java")).isEqualTo("我喜欢 Java。 (end the sentence with 。)");
    }
}
