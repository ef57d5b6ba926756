package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.testing.JavadocSnippets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The examples in the core's javadoc are regions of compiled, run tests ({@code examples} package):
 * every marked block equals its region, and each of these types shows one. Run with
 * {@code -Dsnippets.update=true} to rewrite the blocks from the regions.
 */
class JavadocSnippetsTest {
    static final List<String> REQUIRED = List.of(
            "io.github.conversationstore.ConversationStore",
            "io.github.conversationstore.AppendRequest",
            "io.github.conversationstore.MongoConversationStore.Builder",
            "io.github.conversationstore.TurnService",
            "io.github.conversationstore.Part",
            "io.github.conversationstore.spi.Tool",
            "io.github.conversationstore.spi.ReplyProvider",
            "io.github.conversationstore.spi.StoreListener");

    @Test
    void javadocExamples_equalTheirCompiledRegions() {
        Path main = Path.of("src/main/java");
        Path test = Path.of("src/test/java");
        if (Boolean.getBoolean("snippets.update")) {
            JavadocSnippets.update(main, test);
        }

        assertThat(JavadocSnippets.problems(main, test, REQUIRED)).isEmpty();
    }
}
