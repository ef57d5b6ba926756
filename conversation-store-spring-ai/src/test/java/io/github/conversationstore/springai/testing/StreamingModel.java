package io.github.conversationstore.springai.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import reactor.core.publisher.Flux;

/**
 * A fake streaming chat model, offline: its reply to a prompt is the stream a script makes from the
 * prompt's last user text. It records every prompt. {@code call} returns the stream's text joined.
 */
public final class StreamingModel implements ChatModel {
    public final List<Prompt> prompts = new CopyOnWriteArrayList<>();
    private final Function<Prompt, Flux<ChatResponse>> script;

    /** A model whose reply is made from the prompt's last user text. */
    public StreamingModel(Function<String, Flux<ChatResponse>> script) {
        this.script = prompt -> script.apply(lastUserText(prompt));
    }

    private StreamingModel(Function<Prompt, Flux<ChatResponse>> script, boolean wholePrompt) {
        this.script = script;
    }

    /** A model whose reply is made from the whole prompt. */
    public static StreamingModel onPrompt(Function<Prompt, Flux<ChatResponse>> script) {
        return new StreamingModel(script, true);
    }

    /** A model that streams these chunks and completes, the last chunk carrying finish reason STOP. */
    public static StreamingModel chunks(String... chunks) {
        return new StreamingModel(user -> Flux.fromIterable(chunksOf(chunks)));
    }

    /** The chunks as responses, the last one with finish reason STOP (as OpenAI's last chunk). */
    public static List<ChatResponse> chunksOf(String... chunks) {
        List<ChatResponse> responses = new ArrayList<>();
        for (int i = 0; i < chunks.length; i++) {
            responses.add(i == chunks.length - 1 ? last(chunks[i]) : chunk(chunks[i]));
        }
        return responses;
    }

    /** One chunk of text, with the metadata a model puts on its chunks. */
    public static ChatResponse chunk(String text) {
        return new ChatResponse(List.of(new Generation(AssistantMessage.builder().content(text)
                .properties(Map.of("id", "chatcmpl-1", "role", "ASSISTANT")).build())));
    }

    /** The last chunk: its text and finish reason STOP. */
    public static ChatResponse last(String text) {
        return new ChatResponse(List.of(new Generation(AssistantMessage.builder().content(text)
                .properties(Map.of("id", "chatcmpl-1", "role", "ASSISTANT", "finishReason", "STOP")).build(),
                ChatGenerationMetadata.builder().finishReason("STOP").build())));
    }

    /** A chunk that asks for a tool (user-controlled tool execution streams the call as a chunk). */
    public static ChatResponse toolCall(String id, String name, String arguments) {
        return new ChatResponse(List.of(new Generation(AssistantMessage.builder().content("")
                .toolCalls(List.of(new AssistantMessage.ToolCall(id, "function", name, arguments))).build())));
    }

    @Override
    public Flux<ChatResponse> stream(Prompt prompt) {
        prompts.add(prompt);
        return script.apply(prompt);
    }

    @Override
    public ChatResponse call(Prompt prompt) {
        StringBuilder text = new StringBuilder();
        for (ChatResponse chunk : stream(prompt).collectList().block()) {
            text.append(chunk.getResult().getOutput().getText());
        }
        return new ChatResponse(List.of(new Generation(new AssistantMessage(text.toString()))));
    }

    private static String lastUserText(Prompt prompt) {
        List<Message> messages = prompt.getInstructions();
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i) instanceof UserMessage user) {
                return user.getText();
            }
        }
        return "";
    }

    /** Spring AI 1.1.x asks this. */
    @Override
    @SuppressWarnings({"deprecation", "removal"}) // deprecated for removal in 2.x, which asks getOptions()
    public ChatOptions getDefaultOptions() {
        return ToolCallingChatOptions.builder().build();
    }

    /** Spring AI 2.x asks this (it overrides ChatModel.getOptions() there). */
    public ChatOptions getOptions() {
        return ToolCallingChatOptions.builder().build();
    }
}
