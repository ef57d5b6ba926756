package io.github.conversationstore.spi;

import java.util.Objects;

/**
 * What a model is told about a tool.
 *
 * @param name the tool's name, as the model calls it: 1 to 64 letters, digits, {@code _} or {@code -}
 * @param description what the tool does and when to use it, not blank
 * @param inputSchema the JSON Schema of the tool's input, as JSON text (an object schema)
 * @since 0.2.0
 */
public record ToolSpec(String name, String description, String inputSchema) {

    /**
     * Validates the components.
     *
     * @param name the name
     * @param description the description
     * @param inputSchema the input schema
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if the name breaks its rule, the description is blank or
     *     the schema is not a JSON object
     */
    public ToolSpec {
        Objects.requireNonNull(name, "name");
        if (!name.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("name must be 1 to 64 letters, digits, '_' or '-', was '" + name + "'");
        }
        Objects.requireNonNull(description, "description");
        if (description.isBlank()) {
            throw new IllegalArgumentException("description must not be blank");
        }
        Objects.requireNonNull(inputSchema, "inputSchema");
        if (!StrictJson.isObject(inputSchema)) {
            throw new IllegalArgumentException("inputSchema must be one strict JSON object, was '" + inputSchema + "'");
        }
    }
}
