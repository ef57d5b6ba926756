package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.testing.JavadocSnippets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The examples in the LangChain4j adapter's javadoc are regions of compiled, run tests
 * ({@code examples} package): every marked block equals its region, and each of these types shows
 * one. Run with {@code -Dsnippets.update=true} to rewrite the blocks from the regions.
 */
class JavadocSnippetsTest {
    @Test
    void javadocExamples_equalTheirCompiledRegions() {
        assertThat(JavadocSnippets.check(Path.of(""), List.of(
                "io.github.conversationstore.langchain4j.ConversationStoreChatMemoryProvider",
                "io.github.conversationstore.langchain4j.ConversationStoreChatMemoryStore",
                "io.github.conversationstore.langchain4j.ConversationStoreTokenStream"))).isEmpty();
    }
}
