package io.github.conversationstore.spi;

/**
 * Tokens a reply cost, as the provider reports them.
 *
 * @param inputTokens tokens read (prompt), 0 if unknown
 * @param outputTokens tokens written (reply), 0 if unknown
 * @since 0.1.0
 */
public record TokenUsage(long inputTokens, long outputTokens) {
    /** Usage not reported. */
    public static final TokenUsage UNKNOWN = new TokenUsage(0, 0);

    /**
     * Validates the components.
     *
     * @param inputTokens tokens read
     * @param outputTokens tokens written
     * @throws IllegalArgumentException if a count is negative
     */
    public TokenUsage {
        if (inputTokens < 0 || outputTokens < 0) {
            throw new IllegalArgumentException("token counts must not be negative, were " + inputTokens + " and " + outputTokens);
        }
    }
}
