package io.github.conversationstore.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolException;
import io.github.conversationstore.spi.ToolInvocation;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The tutor's offline tool: the present tense of common Spanish verbs, from a table shipped with the
 * examples ({@code conjugations-es.tsv}). Input {@code {"verb": "ir"}}; output a JSON object with the
 * infinitive, its English meaning and the six forms. An unknown verb or malformed input is a failure
 * the model reads (not retryable).
 */
public final class ConjugationTool implements Tool {
    static final String NAME = "conjugate";
    static final List<String> PERSONS = List.of("yo", "tú", "él/ella/usted", "nosotros", "vosotros", "ellos/ustedes");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ToolSpec SPEC = new ToolSpec(NAME,
            "Gives the present tense of a Spanish verb: the six forms and the English meaning.",
            "{\"type\":\"object\",\"properties\":{\"verb\":{\"type\":\"string\","
                    + "\"description\":\"The infinitive, such as ir or tener.\"}},\"required\":[\"verb\"]}");

    private final Map<String, String[]> table;

    /** Loads the table from the examples' resources. */
    public ConjugationTool() {
        this.table = load();
    }

    @Override
    public ToolSpec spec() {
        return SPEC;
    }

    @Override
    public ToolOutput run(ToolInvocation invocation) {
        String verb = verbOf(invocation.arguments());
        String[] row = table.get(verb);
        if (row == null) {
            throw new ToolException("no conjugation table for '" + verb + "'; known verbs: " + table.keySet(), false, null);
        }
        ObjectNode out = JSON.createObjectNode().put("verb", verb).put("english", row[0]);
        ObjectNode forms = out.putObject("present");
        for (int i = 0; i < PERSONS.size(); i++) {
            forms.put(PERSONS.get(i), row[i + 1]);
        }
        return ToolOutput.json(out.toString());
    }

    private static String verbOf(String arguments) {
        try {
            JsonNode verb = JSON.readTree(arguments).get("verb");
            if (verb == null || !verb.isTextual() || verb.asText().isBlank()) {
                throw new ToolException("the input needs a \"verb\" string, was " + arguments, false, null);
            }
            return verb.asText().strip().toLowerCase(Locale.ROOT);
        } catch (JsonProcessingException e) {
            throw new ToolException("the input is not JSON: " + arguments, false, e);
        }
    }

    private static Map<String, String[]> load() {
        Map<String, String[]> table = new LinkedHashMap<>();
        try (InputStream in = Objects.requireNonNull(ConjugationTool.class.getResourceAsStream("conjugations-es.tsv"),
                "conjugations-es.tsv");
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] cells = line.split("\t");
                table.put(cells[0], Arrays.copyOfRange(cells, 1, cells.length));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.copyOf(table);
    }
}
