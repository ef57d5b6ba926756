package io.github.conversationstore.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TutorCliTest {
    private static String run(Map<String, String> env, String input, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            int code = TutorCli.run(args, env, new BufferedReader(new StringReader(input)), out);
            assertThat(code).isZero();
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void conversation_withCommands_offline() {
        String out = run(Map.of(), String.join("\n",
                "hola, me llamo Ana",
                "/history",
                "/lang zh-CN",
                "你好",
                "/lang not_a_tag",
                "/bogus",
                "/new",
                "/history",
                "/quit",
                "never read"), "--session", "cli-test");

        assertThat(out).contains("offline tutor").contains("embedded, in memory");
        assertThat(out).contains("tutor> ¡Muy bien!");
        assertThat(out).contains("grammar: Hola, me llamo Ana.");
        assertThat(out).contains("#0 user: hola, me llamo Ana").contains("#1 assistant: ¡Muy bien!");
        assertThat(out).contains("Now learning Chinese (China) (zh-CN)");
        assertThat(out).contains("tutor> 很好！");
        assertThat(out).contains("error: 'not_a_tag' is not a language tag");
        assertThat(out).contains("error: unknown command /bogus");
        assertThat(out).contains("(no messages yet");
        assertThat(out).contains("Bye!").doesNotContain("never read");
    }

    @Test
    void dataFile_keepsTheConversationAcrossRuns(@TempDir Path dir) {
        String file = dir.resolve("tutor.mv").toString();
        run(Map.of(), "Hola.\n/quit\n", "--session", "kept", "--data", file);

        String second = run(Map.of(), "/history\n/quit\n", "--session", "kept", "--data", file);

        assertThat(second).contains("kept in " + file).contains("#0 user: Hola.").contains("#1 assistant:");
    }

    @Test
    void keep_storesTheDataInTheDataDirectory_notTheWorkingDirectory(@TempDir Path dir) {
        Map<String, String> env = Map.of("TUTOR_DATA_DIR", dir.resolve("tutor-data").toString());
        run(env, "Hola.\n/quit\n", "--session", "kept", "--keep");

        String second = run(env, "/history\n/quit\n", "--session", "kept", "--keep");

        Path file = dir.resolve("tutor-data").resolve("tutor.mv");
        assertThat(second).contains("kept in " + file).contains("#0 user: Hola.");
        assertThat(file).exists();
        assertThat(Path.of("tutor.mv")).doesNotExist();
    }

    @Test
    void unknownOption_isOneClearError() {
        assertThatThrownBy(() -> run(Map.of(), "", "--colour", "red"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown option --colour");
    }
}
