package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/ADAPTERS.md shows the token-window example of the LangChain4j section as it is compiled
 * and run in {@code LangChain4jExamplesTest} (region {@code token-window}).
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

    private static String normalized(String code) {
        return code.replaceAll("\\s+", " ").trim();
    }
}
