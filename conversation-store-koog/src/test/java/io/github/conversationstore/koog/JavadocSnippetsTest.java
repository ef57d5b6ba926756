package io.github.conversationstore.koog;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.testing.JavadocSnippets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The examples in the Koog adapter's javadoc are regions of compiled, run tests ({@code examples}
 * package): every marked block equals its region, and the provider's class comment shows one. Run
 * with {@code -Dsnippets.update=true} to rewrite the blocks from the regions.
 */
class JavadocSnippetsTest {
    @Test
    void javadocExamples_equalTheirCompiledRegions() {
        assertThat(JavadocSnippets.check(Path.of(""), List.of(
                "io.github.conversationstore.koog.ConversationStoreChatHistoryProvider"))).isEmpty();
    }
}
