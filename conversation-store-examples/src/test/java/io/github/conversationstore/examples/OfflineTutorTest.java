package io.github.conversationstore.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OfflineTutorTest {
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
