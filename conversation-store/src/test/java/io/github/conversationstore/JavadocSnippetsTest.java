package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.testing.JavadocSnippets;
import java.io.IOException;
import java.nio.file.Files;
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
        assertThat(JavadocSnippets.check(Path.of(""), REQUIRED)).isEmpty();
    }

    /** docs/CONTRIBUTING.md lists the javadoc pages with compiled examples: every region of every module. */
    @Test
    void contributingGuide_listsEveryRegionShownInJavadoc() throws IOException {
        String guide = Files.readString(Path.of("../docs/CONTRIBUTING.md"));
        List<String> modules = List.of("conversation-store", "conversation-store-spring-ai", "conversation-store-langchain4j",
                "conversation-store-observability");
        for (String module : modules) {
            for (JavadocSnippets.Marker marker : JavadocSnippets.markers(Path.of("..", module, "src/main/java"))) {
                String test = Path.of(marker.file()).getFileName().toString().replace(".java", "");
                assertThat(guide).as("the guide's row of region %s of %s", marker.region(), test)
                        .containsPattern("(?m)^\\| `[^`]+` \\| [^|]*`" + marker.region() + "`[^|]*\\| `?" + test + "\\.");
            }
        }
    }
}
