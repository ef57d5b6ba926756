package io.github.conversationstore.langchain4j;

import dev.langchain4j.memory.chat.ChatMemoryProvider;

/**
 * A LangChain4j {@link ChatMemoryProvider} of {@link ConversationStoreChatMemory} instances, one
 * per memory id, for {@code AiServices}. An AI service such as
 *
 * <!-- snippet file="io/github/conversationstore/langchain4j/examples/LangChain4jExamplesTest.java" region="assistant" -->
 * <pre>{@code
 * interface Assistant {
 *     @SystemMessage("You are a Spanish tutor.")
 *     String chat(@MemoryId String conversationId, @UserMessage String text);
 * }
 * }</pre>
 *
 * <p>gets its memories from a provider built on the store:
 *
 * <!-- snippet file="io/github/conversationstore/langchain4j/examples/LangChain4jExamplesTest.java" region="chat-memory-provider" -->
 * <pre>{@code
 * ChatMemoryProvider memories = ConversationStoreChatMemoryProvider.builder()
 *         .store(store)
 *         .language("es")
 *         .window(20) // the last 20 messages go to the model; the history stays whole
 *         .build();
 * Assistant assistant = AiServices.builder(Assistant.class)
 *         .chatModel(model)
 *         .chatMemoryProvider(memories)
 *         .build();
 * String answer = assistant.chat("session-42", "¿Qué hora es?");
 * // stored once each: the system message, the user's message, the answer
 * }</pre>
 *
 * <p>With {@link Builder#tokenBudget(int) tokenBudget(n)} instead of {@code window(20)}, each memory
 * returns what fits in {@code n} tokens: the system prompt, the newest summary, the newest messages
 * (see {@link ConversationStoreChatMemory}); nothing is deleted.
 *
 * <p>The memories of one provider share its state (which message objects are stored, tool calls
 * waiting for their results). Thread-safe.
 *
 * @since 0.2.0
 */
public final class ConversationStoreChatMemoryProvider implements ChatMemoryProvider {
    private final MemoryEngine engine;

    private ConversationStoreChatMemoryProvider(MemoryEngine engine) {
        this.engine = engine;
    }

    /**
     * Starts a builder.
     *
     * @return a builder; {@link Builder#store} is required
     * @since 0.2.0
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a memory of the conversation {@code memoryId}. Creating it reads and writes nothing.
     *
     * @param memoryId the memory id, such as the value of an {@code @MemoryId} parameter
     * @return the memory
     * @throws NullPointerException if {@code memoryId} is null
     * @since 0.2.0
     */
    @Override
    public ConversationStoreChatMemory get(Object memoryId) {
        return new ConversationStoreChatMemory(engine, memoryId);
    }

    /**
     * Builds a {@link ConversationStoreChatMemoryProvider}. Not thread-safe.
     *
     * @since 0.2.0
     */
    public static final class Builder extends MemoryBuilder<Builder> {
        /** The default {@link #window(int)}: the window a model is sent. */
        public static final int DEFAULT_WINDOW = ConversationStoreChatMemory.Builder.DEFAULT_WINDOW;

        private Builder() {
            super(DEFAULT_WINDOW);
        }

        /**
         * Builds the provider.
         *
         * @return the provider
         * @throws IllegalStateException if no store was given, if both {@link #window(int) window}
         *     and {@link #tokenBudget(int) tokenBudget} were set, or a token counter without a budget
         * @throws IllegalArgumentException if the language is not a BCP 47 tag naming a language
         * @since 0.2.0
         */
        public ConversationStoreChatMemoryProvider build() {
            return new ConversationStoreChatMemoryProvider(engine());
        }
    }
}
