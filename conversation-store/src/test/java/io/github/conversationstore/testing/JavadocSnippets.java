package io.github.conversationstore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Keeps the examples in javadoc equal to compiled, run test code.
 *
 * <p>An example is a region of a test source, between {@code // @start region="name"} and
 * {@code // @end} (the markers of javadoc's {@code {@snippet}}, so that a move to
 * {@code {@snippet file=... region=...}} with {@code --snippet-path src/test/java} is mechanical).
 * The javadoc shows it as a {@code <pre>{@code ...}</pre>} block right after a marker comment
 * naming the file (relative to the module's test sources) and the region:
 *
 * <pre>
 * &lt;!-- snippet file="io/github/conversationstore/examples/StoreExamplesTest.java" region="append" --&gt;
 * &lt;pre&gt;{&#64;code
 * ...the region's lines...
 * }&lt;/pre&gt;
 * </pre>
 *
 * <p>{@link #problems} reports, for a module's main and test sources: a block that differs from its
 * region (after removing the leading {@code " * "} and the common indentation of both), a marker
 * naming a missing file or region, a marker not followed by a block, a region not closed or named
 * twice, a region javadoc cannot show verbatim (braces that do not balance, which end
 * {@code {@code}} early; {@code *}{@code /}, which ends the comment; a unicode escape, which the
 * compiler translates inside comments too), and a required type whose class comment has no
 * example or shows an example that is not compiled (a {@code <pre>{@code} block without a marker).
 * An annotation at the start of a line is shown as it is: javadoc 17 keeps a line-leading
 * {@code @} inside {@code {@code}} as text (the module's javadoc run, doclint on and warnings as
 * errors, checks it).
 *
 * <p>{@code -Dsnippets.update=true} makes {@link #update} rewrite every marked block from its region.
 */
public final class JavadocSnippets {
    /** The marker comment line, as it stands in a javadoc comment. */
    public static final Pattern MARKER =
            Pattern.compile("^\\s*\\*\\s*<!-- snippet file=\"([^\"]+)\" region=\"([^\"]+)\" -->\\s*$");
    private static final Pattern BLOCK_START = Pattern.compile("^\\s*\\*\\s*<pre>\\{@code\\s*$");
    private static final Pattern BLOCK_END = Pattern.compile("^\\s*\\*\\s*}</pre>\\s*$");
    private static final Pattern COMMENT_LINE = Pattern.compile("^\\s*\\* ?");
    private static final Pattern REGION_START = Pattern.compile("^\\s*// @start region=\"?([\\w.-]+)\"?\\s*$");
    private static final Pattern REGION_END = Pattern.compile("^\\s*// @end(?:\\s+region=\"?([\\w.-]+)\"?)?\\s*$");

    private JavadocSnippets() {}

    /** One marked block of a main source: where it is, what it names, and the lines it shows. */
    public record Marker(Path source, int line, String file, String region, List<String> shown, int endLine) {}

    /**
     * What a module's javadoc examples get wrong: its blocks are first rewritten from their regions
     * when {@code -Dsnippets.update=true} is set, then checked (see {@link #problems}).
     *
     * @param module the module's directory ({@code src/main/java} and {@code src/test/java} below it)
     * @param requiredTypes the types whose class comment must show an example
     * @return the problems, empty when every example is in order
     */
    public static List<String> check(Path module, Collection<String> requiredTypes) {
        Path main = module.resolve("src/main/java");
        Path test = module.resolve("src/test/java");
        if (Boolean.getBoolean("snippets.update")) {
            update(main, test);
        }
        return problems(main, test, requiredTypes);
    }

    /**
     * Everything wrong with the examples of one module.
     *
     * @param mainSources the module's {@code src/main/java}
     * @param testSources the module's {@code src/test/java}, where the regions are
     * @param requiredTypes binary-style names ({@code a.b.Outer.Inner}) of the types whose class
     *     comment must show a compiled example
     * @return the problems, one line each; empty when all is well
     */
    public static List<String> problems(Path mainSources, Path testSources, Collection<String> requiredTypes) {
        List<String> problems = new ArrayList<>();
        Map<Path, Map<String, Region>> regionsByFile = new LinkedHashMap<>();
        for (Path source : javaFiles(mainSources)) {
            List<String> lines = read(source);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).contains("<!-- snippet") && !MARKER.matcher(lines.get(i)).matches()) {
                    problems.add(at(mainSources, source, i) + ": a snippet marker must read <!-- snippet file=\"...\" region=\"...\" -->");
                }
            }
            for (Marker marker : markers(mainSources, source, lines, problems)) {
                Path file = testSources.resolve(marker.file());
                if (!Files.isRegularFile(file)) {
                    problems.add(at(mainSources, source, marker.line()) + ": names " + marker.file() + ", which is not in "
                            + testSources);
                    continue;
                }
                Map<String, Region> regions = regionsByFile.computeIfAbsent(file,
                        f -> regions(f, problems, testSources));
                Region region = regions.get(marker.region());
                if (region == null) {
                    problems.add(at(mainSources, source, marker.line()) + ": names region \"" + marker.region() + "\", which "
                            + marker.file() + " does not have (it has " + regions.keySet() + ")");
                    continue;
                }
                String unsafe = unsafeForJavadoc(region.lines());
                if (unsafe != null) {
                    problems.add(at(testSources, file, region.startLine()) + ": region \"" + marker.region() + "\" " + unsafe);
                }
                List<String> expected = normalized(region.lines());
                List<String> shown = normalized(marker.shown());
                if (!expected.equals(shown)) {
                    problems.add(at(mainSources, source, marker.line()) + ": the example differs from region \""
                            + marker.region() + "\" of " + marker.file() + firstDifference(expected, shown)
                            + "; it should read:\n" + String.join("\n", expected));
                }
            }
        }
        for (String type : requiredTypes) {
            problems.addAll(requiredTypeProblems(mainSources, type));
        }
        return problems;
    }

    /**
     * Every marked block of the main sources, in file order.
     *
     * @param mainSources the module's {@code src/main/java}
     * @return the markers and what their blocks show
     */
    public static List<Marker> markers(Path mainSources) {
        List<Marker> all = new ArrayList<>();
        for (Path source : javaFiles(mainSources)) {
            all.addAll(markers(mainSources, source, read(source), new ArrayList<>()));
        }
        return all;
    }

    /**
     * Rewrites every marked block of the main sources from its region (the marker and the
     * {@code <pre>{@code} line stay; the lines up to {@code }</pre>} are replaced), keeping the
     * comment's indentation. A marker whose region is missing is left as it is.
     *
     * @param mainSources the module's {@code src/main/java}
     * @param testSources the module's {@code src/test/java}
     * @return how many blocks changed
     */
    public static int update(Path mainSources, Path testSources) {
        int changed = 0;
        for (Path source : javaFiles(mainSources)) {
            List<String> lines = read(source);
            List<Marker> markers = markers(mainSources, source, lines, new ArrayList<>());
            List<String> out = new ArrayList<>(lines);
            for (int m = markers.size() - 1; m >= 0; m--) {
                Marker marker = markers.get(m);
                Path file = testSources.resolve(marker.file());
                if (!Files.isRegularFile(file)) {
                    continue;
                }
                Region region = regions(file, new ArrayList<>(), testSources).get(marker.region());
                if (region == null || normalized(region.lines()).equals(normalized(marker.shown()))) {
                    continue;
                }
                String prefix = lines.get(marker.line()).substring(0, lines.get(marker.line()).indexOf('*')) + "*";
                List<String> block = normalized(region.lines()).stream()
                        .map(line -> line.isEmpty() ? prefix : prefix + " " + line)
                        .collect(Collectors.toList());
                out.subList(marker.line() + 2, marker.endLine()).clear();
                out.addAll(marker.line() + 2, block);
                changed++;
            }
            if (!out.equals(lines)) {
                try {
                    Files.write(source, out);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return changed;
    }

    private static List<Marker> markers(Path root, Path source, List<String> lines, List<String> problems) {
        List<Marker> markers = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher marker = MARKER.matcher(lines.get(i));
            if (!marker.matches()) {
                continue;
            }
            if (i + 1 >= lines.size() || !BLOCK_START.matcher(lines.get(i + 1)).matches()) {
                problems.add(at(root, source, i) + ": a snippet marker must be followed by a line \" * <pre>{@code\"");
                continue;
            }
            int end = i + 2;
            while (end < lines.size() && !BLOCK_END.matcher(lines.get(end)).matches() && !lines.get(end).contains("*/")) {
                end++;
            }
            if (end >= lines.size() || !BLOCK_END.matcher(lines.get(end)).matches()) {
                problems.add(at(root, source, i) + ": the example block must end with a line \" * }</pre>\"");
                continue;
            }
            List<String> shown = lines.subList(i + 2, end).stream()
                    .map(line -> COMMENT_LINE.matcher(line).replaceFirst(""))
                    .collect(Collectors.toList());
            markers.add(new Marker(source, i, marker.group(1), marker.group(2), List.copyOf(shown), end));
        }
        return markers;
    }

    /** A region of a test source: its lines (without nested regions' markers) and where it starts. */
    private record Region(List<String> lines, int startLine) {}

    /** The regions of a test source by name. */
    private static Map<String, Region> regions(Path file, List<String> problems, Path root) {
        List<String> lines = read(file);
        Map<String, Region> regions = new LinkedHashMap<>();
        Deque<String> open = new ArrayDeque<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher start = REGION_START.matcher(line);
            Matcher end = REGION_END.matcher(line);
            if (start.matches()) {
                String name = start.group(1);
                if (regions.containsKey(name)) {
                    problems.add(at(root, file, i) + ": region \"" + name + "\" is started twice");
                }
                regions.put(name, new Region(new ArrayList<>(), i));
                open.push(name);
            } else if (end.matches()) {
                if (open.isEmpty()) {
                    problems.add(at(root, file, i) + ": @end without a region");
                } else if (end.group(1) != null && open.contains(end.group(1))) {
                    open.remove(end.group(1));
                } else if (end.group(1) != null) {
                    problems.add(at(root, file, i) + ": @end of region \"" + end.group(1) + "\", which is not open");
                } else {
                    open.pop();
                }
            } else {
                for (String name : open) {
                    regions.get(name).lines().add(line);
                }
            }
        }
        for (String name : open) {
            problems.add(at(root, file, regions.get(name).startLine()) + ": region \"" + name + "\" has no @end");
        }
        return regions;
    }

    /** Why javadoc cannot show these lines verbatim in a {@code {@code}} block, or null. */
    static String unsafeForJavadoc(List<String> lines) {
        int depth = 0;
        for (String line : lines) {
            if (line.contains("*/")) {
                return "contains */, which would end the javadoc comment";
            }
            if (line.contains("\\u")) {
                return "contains a unicode escape, which the compiler translates inside comments too";
            }
            for (char c : line.toCharArray()) {
                depth += c == '{' ? 1 : c == '}' ? -1 : 0;
                if (depth < 0) {
                    return "has a } before its {, which would end {@code} early: make the region's braces balance";
                }
            }
        }
        return depth == 0 ? null : "has " + depth + " unclosed {, which {@code} cannot show: make the region's braces balance";
    }

    private static List<String> requiredTypeProblems(Path mainSources, String type) {
        String[] names = type.split("\\.");
        for (int top = names.length; top > 0; top--) {
            Path source = mainSources.resolve(String.join("/", List.of(names).subList(0, top)) + ".java");
            if (!Files.isRegularFile(source)) {
                continue;
            }
            String text = String.join("\n", read(source));
            int from = 0;
            String comment = null;
            for (int n = top - 1; n < names.length; n++) {
                Matcher declaration = Pattern.compile("(?m)^[ \\t]*(?:(?:@\\w+(?:\\([^)]*\\))?|public|protected|private|static|final"
                        + "|sealed|non-sealed|abstract|strictfp)\\s+)*(?:class|interface|record|enum|@interface)\\s+"
                        + Pattern.quote(names[n]) + "\\b").matcher(text);
                if (!declaration.find(from)) {
                    return List.of(type + ": no declaration of " + names[n] + " in " + source);
                }
                from = declaration.end();
                int close = text.lastIndexOf("*/", declaration.start());
                int open = text.lastIndexOf("/**", close);
                boolean adjacent = close >= 0 && text.substring(close + 2, declaration.start()).isBlank();
                comment = adjacent && open >= 0 ? text.substring(open, close) : null;
            }
            if (comment == null) {
                return List.of(type + ": has no javadoc comment");
            }
            List<String> lines = List.of(comment.split("\n"));
            List<String> problems = new ArrayList<>();
            boolean marked = false;
            for (int i = 0; i < lines.size(); i++) {
                if (MARKER.matcher(lines.get(i)).matches()) {
                    marked = true;
                }
                if (BLOCK_START.matcher(lines.get(i)).matches() && (i == 0 || !MARKER.matcher(lines.get(i - 1)).matches())) {
                    problems.add(type + ": its class comment shows an example that is not compiled (a <pre>{@code block"
                            + " without a snippet marker)");
                }
            }
            if (!marked) {
                problems.add(type + ": its class comment has no compiled example (no snippet marker)");
            }
            return problems;
        }
        return List.of(type + ": no source in " + mainSources);
    }

    /** The lines without trailing blanks, common indentation, and leading or trailing empty lines. */
    static List<String> normalized(List<String> lines) {
        List<String> trimmed = lines.stream().map(String::stripTrailing).collect(Collectors.toList());
        while (!trimmed.isEmpty() && trimmed.get(0).isEmpty()) {
            trimmed.remove(0);
        }
        while (!trimmed.isEmpty() && trimmed.get(trimmed.size() - 1).isEmpty()) {
            trimmed.remove(trimmed.size() - 1);
        }
        int indent = trimmed.stream().filter(line -> !line.isEmpty())
                .mapToInt(line -> line.length() - line.stripLeading().length()).min().orElse(0);
        return trimmed.stream().map(line -> line.isEmpty() ? line : line.substring(indent)).collect(Collectors.toList());
    }

    private static String firstDifference(List<String> expected, List<String> shown) {
        for (int i = 0; i < Math.max(expected.size(), shown.size()); i++) {
            String want = i < expected.size() ? expected.get(i) : "(nothing)";
            String got = i < shown.size() ? shown.get(i) : "(nothing)";
            if (!want.equals(got)) {
                return " at its line " + (i + 1) + " (the region has \"" + want + "\", the javadoc \"" + got + "\")";
            }
        }
        return "";
    }

    private static String at(Path root, Path file, int line) {
        return root.relativize(file) + ":" + (line + 1);
    }

    private static List<Path> javaFiles(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> read(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
