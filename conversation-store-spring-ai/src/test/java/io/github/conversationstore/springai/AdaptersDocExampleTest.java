package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/ADAPTERS.md shows the token-window and streaming examples of the Spring AI section as they
 * are compiled and run in {@code SpringAiExamplesTest} (regions {@code token-window},
 * {@code stream-advisor}).
 */
class AdaptersDocExampleTest {
    // the module's own sources, also when conversation-store-spring-ai-2-test runs these tests
    private static final Path MODULE = Path.of("../conversation-store-spring-ai");

    @Test
    void adaptersDoc_showsTheCompiledTokenWindowExample_inTheSpringAiSection() throws IOException {
        String test = Files.readString(MODULE.resolve(
                "src/test/java/io/github/conversationstore/springai/examples/SpringAiExamplesTest.java"));
        String doc = Files.readString(MODULE.resolve("../docs/ADAPTERS.md"));
        String start = "// @start region=\"token-window\"\n";
        int from = test.indexOf(start);
        assertThat(from).isPositive();
        String code = normalized(test.substring(from + start.length(), test.indexOf("// @end", from)));

        String springAi = normalized(doc.substring(doc.indexOf("## Spring AI"), doc.indexOf("## LangChain4j")));
        assertThat(code).contains("tokenBudget(");
        assertThat(springAi).contains(code);
    }

    @Test
    void adaptersDoc_showsTheCompiledStreamAdvisorExample_inTheSpringAiSection() throws IOException {
        String test = Files.readString(MODULE.resolve(
                "src/test/java/io/github/conversationstore/springai/examples/SpringAiExamplesTest.java"));
        String doc = Files.readString(MODULE.resolve("../docs/ADAPTERS.md"));
        String start = "// @start region=\"stream-advisor\"\n";
        int from = test.indexOf(start);
        assertThat(from).isPositive();
        String code = normalized(test.substring(from + start.length(), test.indexOf("// @end", from)));

        String springAi = normalized(doc.substring(doc.indexOf("## Spring AI"), doc.indexOf("## LangChain4j")));
        assertThat(code).contains("ConversationStoreStreamAdvisor.builder(");
        assertThat(springAi).contains(code);
    }

    private static String normalized(String code) {
        return code.replaceAll("\\s+", " ").trim();
    }
}
