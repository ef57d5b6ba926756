package io.github.conversationstore.spi;

import java.util.Objects;

/**
 * What a tool returned, stored as the call's result for the model to read.
 *
 * @param content the text, or JSON text if {@code json}
 * @param json whether {@code content} is JSON
 * @since 0.2.0
 */
public record ToolOutput(String content, boolean json) {

    /**
     * Validates the components.
     *
     * @param content the content
     * @param json whether it is JSON
     * @throws NullPointerException if {@code content} is null
     */
    public ToolOutput {
        Objects.requireNonNull(content, "content");
    }

    /**
     * Creates a text output.
     *
     * @param text the text
     * @return the output
     */
    public static ToolOutput text(String text) {
        return new ToolOutput(text, false);
    }

    /**
     * Creates a JSON output.
     *
     * @param json the JSON text
     * @return the output
     */
    public static ToolOutput json(String json) {
        return new ToolOutput(json, true);
    }
}
