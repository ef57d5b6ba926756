package io.github.conversationstore.spi;

import io.github.conversationstore.Message;
import io.github.conversationstore.StoredMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link ReplyProvider} gets to produce one reply.
 *
 * @param sessionId the conversation's key
 * @param language the conversation's language (BCP 47 tag)
 * @param window the most recent messages before the user message, oldest first, as configured on
 *     the turn service (a message count and/or a character budget); immutable. With
 *     {@linkplain io.github.conversationstore.Compaction compaction} it is the token window: it
 *     starts with the newest summary, a {@link io.github.conversationstore.Role#SYSTEM} message (at
 *     the summary's first sequence number) standing for everything before the messages after it
 * @param userMessage the new user message, already stored
 * @param mode what kind of reply is wanted, for example {@value #CONVERSATION}
 * @param turnId the turn's id: the same for every retry of the same turn
 * @param steps the turn's own messages after the user message, oldest first: the assistant's tool
 *     calls and the tools' results, every call answered; empty on the turn's first provider call
 * @param tools the tools the model may call; empty if none
 * @since 0.1.0
 */
public record ReplyRequest(String sessionId, String language, List<StoredMessage> window, Message userMessage,
        String mode, String turnId, List<StoredMessage> steps, List<ToolSpec> tools) {

    /** The default mode: continue the conversation. */
    public static final String CONVERSATION = "conversation";

    /**
     * Validates and copies the components.
     *
     * @param sessionId the conversation's key
     * @param language the language tag
     * @param window the recent messages
     * @param userMessage the new user message
     * @param mode the mode
     * @param turnId the turn id
     * @param steps the turn's tool calls and results so far
     * @param tools the tools the model may call
     * @throws NullPointerException if a component is null
     * @since 0.2.0
     */
    public ReplyRequest {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(language, "language");
        window = List.copyOf(Objects.requireNonNull(window, "window"));
        Objects.requireNonNull(userMessage, "userMessage");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(turnId, "turnId");
        steps = List.copyOf(Objects.requireNonNull(steps, "steps"));
        tools = List.copyOf(Objects.requireNonNull(tools, "tools"));
    }

    /**
     * Creates a request without tools, for a turn's first provider call.
     *
     * @param sessionId the conversation's key
     * @param language the language tag
     * @param window the recent messages
     * @param userMessage the new user message
     * @param mode the mode
     * @param turnId the turn id
     * @throws NullPointerException if a component is null
     */
    public ReplyRequest(String sessionId, String language, List<StoredMessage> window, Message userMessage,
            String mode, String turnId) {
        this(sessionId, language, window, userMessage, mode, turnId, List.of(), List.of());
    }

    /**
     * Returns the whole conversation to send to the model, oldest first: the window, the user
     * message, then the turn's steps.
     *
     * @return the messages, immutable
     * @since 0.2.0
     */
    public List<Message> conversation() {
        List<Message> all = new ArrayList<>(window.size() + 1 + steps.size());
        window.forEach(m -> all.add(m.message()));
        all.add(userMessage);
        steps.forEach(m -> all.add(m.message()));
        return List.copyOf(all);
    }
}
