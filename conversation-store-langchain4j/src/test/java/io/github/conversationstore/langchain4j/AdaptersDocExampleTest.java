package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/ADAPTERS.md shows the token-window and streaming examples of the LangChain4j section as
 * they are compiled and run in {@code LangChain4jExamplesTest} (regions {@code token-window},
 * {@code streaming-assistant}, {@code token-stream}).
 */
class AdaptersDocExampleTest {

    @Test
    void adaptersDoc_showsTheCompiledTokenWindowExample_inTheLangChain4jSection() throws IOException {
        String test = Files.readString(Path.of(
                "src/test/java/io/github/conversationstore/langchain4j/examples/LangChain4jExamplesTest.java"));
        String doc = Files.readString(Path.of("../docs/ADAPTERS.md"));
        String start = "// @start region=\"token-window\"\n";
        int from = test.indexOf(start);
        assertThat(from).isPositive();
        String code = normalized(test.substring(from + start.length(), test.indexOf("// @end", from)));

        String langChain4j = normalized(doc.substring(doc.indexOf("## LangChain4j")));
        assertThat(code).contains("tokenBudget(");
        assertThat(langChain4j).contains(code);
    }

    @Test
    void adaptersDoc_showsTheCompiledTokenStreamExample_inTheLangChain4jSection() throws IOException {
        String test = Files.readString(Path.of(
                "src/test/java/io/github/conversationstore/langchain4j/examples/LangChain4jExamplesTest.java"));
        String langChain4j = normalized(Files.readString(Path.of("../docs/ADAPTERS.md")));
        langChain4j = langChain4j.substring(langChain4j.indexOf("## LangChain4j"));
        for (String region : new String[] {"streaming-assistant", "token-stream"}) {
            String start = "// @start region=\"" + region + "\"\n";
            int from = test.indexOf(start);
            assertThat(from).as(region).isPositive();
            String code = normalized(test.substring(from + start.length(), test.indexOf("// @end", from)));
            assertThat(langChain4j).as(region).contains(code);
        }
    }

    private static String normalized(String code) {
        return code.replaceAll("\\s+", " ").trim();
    }
}
