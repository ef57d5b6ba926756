package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.conversationstore.testing.JavadocSnippets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checker of the javadoc examples finds each way an example can go wrong. */
class JavadocSnippetsCheckerTest {
    @TempDir
    Path root;
    Path main;
    Path test;

    @BeforeEach
    void sources() throws IOException {
        main = Files.createDirectories(root.resolve("main/p"));
        test = Files.createDirectories(root.resolve("test/p"));
        write(test.resolve("ExampleTest.java"), """
                package p;
                class ExampleTest {
                    void run() {
                        // @start region="greet"
                        String greeting = "hi";
                        if (greeting.isEmpty()) {
                            greeting = "hello";
                        }
                        // @end
                        // @start region="open"
                        if (true) {
                        // @end
                        }
                        // @start region="outer"
                        int a = 1;
                        // @start region="inner"
                        int b = 2;
                        // @end
                        // @end region="outer"
                    }
                }
                """);
    }

    private List<String> problems(String... required) {
        return JavadocSnippets.problems(root.resolve("main"), root.resolve("test"), List.of(required));
    }

    private void type(String javadocBody) throws IOException {
        write(main.resolve("Api.java"), "package p;\n\n/**\n * Api.\n *\n" + javadocBody
                + " */\npublic final class Api {\n    /**\n     * Builds.\n     *\n" + javadocBody.replace(" * ", "     * ")
                .replace(" *\n", "     *\n") + "     */\n    public static final class Builder {}\n}\n");
    }

    private static final String GREET = """
             * <!-- snippet file="p/ExampleTest.java" region="greet" -->
             * <pre>{@code
             * String greeting = "hi";
             * if (greeting.isEmpty()) {
             *     greeting = "hello";
             * }
             * }</pre>
            """;

    @Test
    void aBlockEqualToItsRegion_isFine_inATypeAndANestedType() throws IOException {
        type(GREET);

        assertThat(problems("p.Api", "p.Api.Builder")).isEmpty();
        assertThat(JavadocSnippets.markers(root.resolve("main"))).hasSize(2)
                .allSatisfy(m -> assertThat(m.region()).isEqualTo("greet"));
    }

    @Test
    void aBlockThatDiffers_isReportedWithTheRegionsText() throws IOException {
        type(GREET.replace("\"hello\"", "\"hallo\""));

        assertThat(problems()).hasSize(2).allSatisfy(p -> assertThat(p)
                .contains("differs from region \"greet\"", "line 3", "greeting = \"hello\";"));
    }

    @Test
    void aMissingRegionOrFile_isReported() throws IOException {
        type(GREET.replace("region=\"greet\"", "region=\"gone\""));
        assertThat(problems()).hasSize(2).allSatisfy(p -> assertThat(p).contains("names region \"gone\""));

        type(GREET.replace("ExampleTest.java", "Missing.java"));
        assertThat(problems()).hasSize(2).allSatisfy(p -> assertThat(p).contains("names p/Missing.java, which is not in"));
    }

    @Test
    void aRequiredTypeWithoutAnExample_orWithAnUncompiledOne_isReported() throws IOException {
        type("");
        assertThat(problems("p.Api.Builder")).containsExactly("p.Api.Builder: its class comment has no compiled example (no snippet marker)");

        type(" * <pre>{@code\n * int x = 1;\n * }</pre>\n");
        assertThat(problems("p.Api")).contains(
                "p.Api: its class comment shows an example that is not compiled (a <pre>{@code block without a snippet marker)");

        assertThat(problems("p.Nowhere")).containsExactly("p.Nowhere: no source in " + root.resolve("main"));
    }

    @Test
    void aRegionJavadocCannotShow_isReported() throws IOException {
        type(GREET.replace("region=\"greet\"", "region=\"open\"").replace(" * }\n * }</pre>", " * }</pre>")
                .replace(" *     greeting = \"hello\";\n", ""));

        assertThat(problems()).anyMatch(p -> p.contains("region \"open\" has 1 unclosed {"));
        assertThat(JavadocSnippets.problems(root.resolve("main"), root.resolve("test"), List.of()))
                .anyMatch(p -> p.startsWith("p/ExampleTest.java:10: "));
    }

    @Test
    void anUnclosedOrRepeatedRegion_isReported() throws IOException {
        write(test.resolve("ExampleTest.java"), """
                // @start region="greet"
                int a;
                // @end
                // @start region="greet"
                int b;
                """);
        type(GREET);

        assertThat(problems()).anyMatch(p -> p.contains("region \"greet\" is started twice"))
                .anyMatch(p -> p.contains("region \"greet\" has no @end"));
    }

    @Test
    void commentEnd_andUnicodeEscapes_cannotBeShown() throws IOException {
        write(test.resolve("ExampleTest.java"), "// @start region=\"greet\"\n/** doc */\n// @end\n"
                + "// @start region=\"u\"\nString s = \"\\u00e9\";\n// @end\n");
        type(GREET + GREET.replace("region=\"greet\"", "region=\"u\""));

        assertThat(problems()).anyMatch(p -> p.contains("region \"greet\" contains */"))
                .anyMatch(p -> p.contains("region \"u\" contains a unicode escape"));
    }

    @Test
    void nestedRegions_leaveTheInnerMarkersOut_andIndentationIsCommon() throws IOException {
        type("""
                 * <!-- snippet file="p/ExampleTest.java" region="outer" -->
                 * <pre>{@code
                 *   int a = 1;
                 *   int b = 2;
                 * }</pre>
                """);

        assertThat(problems()).isEmpty();
    }

    @Test
    void aMalformedMarkerOrBlock_isReported() throws IOException {
        type(" * <!-- snippet file=\"p/ExampleTest.java\" -->\n * <!-- snippet file=\"p/ExampleTest.java\" region=\"greet\" -->\n *\n");

        assertThat(problems()).anyMatch(p -> p.contains("a snippet marker must read"))
                .anyMatch(p -> p.contains("must be followed by a line \" * <pre>{@code\""));
    }

    @Test
    void update_rewritesTheBlocksFromTheirRegions() throws IOException {
        type(GREET.replace("\"hello\"", "\"hallo\""));

        assertThat(JavadocSnippets.update(root.resolve("main"), root.resolve("test"))).isEqualTo(2);

        assertThat(problems("p.Api", "p.Api.Builder")).isEmpty();
        assertThat(Files.readString(main.resolve("Api.java"))).contains("     *     greeting = \"hello\";\n");
    }

    private static void write(Path file, String text) throws IOException {
        Files.writeString(file, text);
    }
}
