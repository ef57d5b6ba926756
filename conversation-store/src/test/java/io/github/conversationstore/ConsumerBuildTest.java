package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's code compiled against the library as Maven resolves it for them (the library, the
 * MongoDB driver, Jackson annotations) with {@code -Xlint:all -Werror}, on the class path and on
 * the module path: the library must not warn in its users' builds (issue 14: with the Jackson
 * annotations optional, javac warned "unknown enum constant JsonAutoDetect.Visibility.NONE").
 */
class ConsumerBuildTest {
    private static final String CONSUMER = String.join("\n",
            "package consumer;",
            "",
            "import io.github.conversationstore.AppendRequest;",
            "import io.github.conversationstore.AppendResult;",
            "import io.github.conversationstore.ConversationStore;",
            "import io.github.conversationstore.InMemoryConversationStore;",
            "import io.github.conversationstore.Message;",
            "import io.github.conversationstore.MongoConversationStore;",
            "import io.github.conversationstore.StoredMessage;",
            "import java.util.List;",
            "",
            "public final class Consumer {",
            "    private Consumer() {}",
            "",
            "    public static long run() {",
            "        MongoConversationStore.Builder unused = MongoConversationStore.builder().database(\"tutor\");",
            "        try (ConversationStore store = InMemoryConversationStore.create()) {",
            "            AppendResult result = store.appendMessages(AppendRequest.builder(\"s\", \"en\")",
            "                    .appendId(\"turn-1\").messages(Message.user(\"hi\"), Message.assistant(\"hello\")).build());",
            "            List<StoredMessage> window = store.recentMessages(\"s\", 20);",
            "            return result.lastSequence() + window.size() + (unused == null ? 0 : 1);",
            "        }",
            "    }",
            "}",
            "");

    /**
     * The library's classes and what Maven gives a user with them: the driver, and the Jackson
     * annotations if the library declares them as a regular dependency (an optional or provided
     * one does not reach users).
     */
    private static List<String> consumerPath() throws IOException {
        boolean jackson = jacksonAnnotationsReachUsers();
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> {
                    String name = Path.of(entry).getFileName().toString();
                    return entry.endsWith("target" + File.separator + "classes")
                            || name.startsWith("mongodb-driver-") || name.startsWith("bson")
                            || (jackson && name.startsWith("jackson-annotations"));
                })
                .collect(Collectors.toList());
    }

    private static boolean jacksonAnnotationsReachUsers() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        int at = pom.indexOf("<artifactId>jackson-annotations</artifactId>");
        String declaration = pom.substring(pom.lastIndexOf("<dependency>", at), pom.indexOf("</dependency>", at));
        return !declaration.contains("<optional>true</optional>") && !declaration.contains("<scope>");
    }

    private static List<String> compile(List<String> options, Path... sources) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            Boolean ok = javac.getTask(null, files, diagnostics, options, null, files.getJavaFileObjects(sources)).call();
            List<String> messages = new ArrayList<>();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                messages.add(d.getKind() + ": " + d.getMessage(Locale.ROOT));
            }
            if (!ok) {
                messages.add("compilation failed");
            }
            return messages;
        }
    }

    @Test
    void consumerOnTheClassPath_compilesWithoutAWarningUnderXlintAllWerror(@TempDir Path dir) throws IOException {
        Path source = Files.createDirectories(dir.resolve("src/consumer")).resolve("Consumer.java");
        Files.writeString(source, CONSUMER);

        List<String> messages = compile(List.of("-Xlint:all", "-Werror", "--release", "17",
                "-classpath", String.join(File.pathSeparator, consumerPath()),
                "-d", dir.resolve("out").toString()), source);

        assertThat(messages).isEmpty();
    }

    @Test
    void consumerOnTheModulePath_compilesWithoutAWarningUnderXlintAllWerror(@TempDir Path dir) throws IOException {
        Path root = Files.createDirectories(dir.resolve("src"));
        Path source = Files.createDirectories(root.resolve("consumer")).resolve("Consumer.java");
        Files.writeString(source, CONSUMER);
        Path moduleInfo = root.resolve("module-info.java");
        Files.writeString(moduleInfo, "module consumer {\n    requires io.github.conversationstore;\n}\n");

        List<String> messages = compile(List.of("-Xlint:all", "-Werror", "--release", "17",
                "--module-path", String.join(File.pathSeparator, consumerPath()),
                "-d", dir.resolve("out").toString()), moduleInfo, source);

        assertThat(messages).isEmpty();
    }
}
