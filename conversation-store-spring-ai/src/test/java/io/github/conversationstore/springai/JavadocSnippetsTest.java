package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.testing.JavadocSnippets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The examples in the Spring AI adapter's javadoc are regions of compiled, run tests
 * ({@code examples} package): every marked block equals its region, and each of these types shows
 * one. Run with {@code -Dsnippets.update=true} to rewrite the blocks from the regions.
 */
class JavadocSnippetsTest {
    // the module's own sources, also when conversation-store-spring-ai-2-test runs these tests
    private static final Path MODULE = Path.of("../conversation-store-spring-ai");

    @Test
    void javadocExamples_equalTheirCompiledRegions() {
        assertThat(JavadocSnippets.check(MODULE, List.of(
                "io.github.conversationstore.springai.ConversationStoreChatMemory",
                "io.github.conversationstore.springai.ConversationStoreChatMemoryRepository",
                "io.github.conversationstore.springai.ConversationStoreStreamAdvisor"))).isEmpty();
    }
}
