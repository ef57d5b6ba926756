package io.github.conversationstore.springai.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.client.advisor.ToolCallAdvisor;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.tool.annotation.Tool;
import org.springframework.ai.tool.annotation.ToolParam;
import org.springframework.core.Ordered;

/**
 * What differs between the Spring AI lines the tests run on (1.1.x and 2.0.x), in one place. The
 * same test sources compile against both.
 */
public final class SpringAiLine {
    /** Whether the tests run on Spring AI 2.x (its ChatModel has {@code getOptions()}). */
    public static final boolean TWO = hasMethod(ChatModel.class, "getOptions");

    private SpringAiLine() {}

    private static boolean hasMethod(Class<?> type, String name) {
        try {
            type.getMethod(name);
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /**
     * A ChatClient with the memory advisor. On 2.x the client runs tools itself and the memory
     * advisor sits inside the tool loop (order above 300), so the tool round is stored; on 1.1.x a
     * ToolCallAdvisor runs the loop and the memory advisor sits outside it (inside, 1.1 stores the
     * user message twice and never the tool response), so memory gets the user message and the final
     * reply.
     */
    public static ChatClient client(ChatModel model, ChatMemory memory) {
        if (TWO) {
            return ChatClient.builder(model)
                    .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).order(Ordered.HIGHEST_PRECEDENCE + 400).build())
                    .build();
        }
        return ChatClient.builder(model)
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).order(Ordered.HIGHEST_PRECEDENCE + 200).build(),
                        toolCallAdvisor())
                .build();
    }

    @SuppressWarnings("removal") // deprecated for removal in 2.x, where it is not used
    private static ToolCallAdvisor toolCallAdvisor() {
        return ToolCallAdvisor.builder().build();
    }

    /** A tool the scripted model calls. */
    public static final class WeatherTools {
        @Tool(description = "Current weather for a city")
        public String weather(@ToolParam(description = "city") String city) {
            return "sunny, 21C";
        }
    }

    /**
     * A chat model that asks for the weather tool when the user mentions the weather, answers with
     * the tool's result, and otherwise echoes the last message. It records every prompt.
     */
    public static final class ScriptedChatModel implements ChatModel {
        public final List<Prompt> prompts = new CopyOnWriteArrayList<>();

        @Override
        public ChatResponse call(Prompt prompt) {
            prompts.add(prompt);
            List<Message> messages = prompt.getInstructions();
            Message last = messages.get(messages.size() - 1);
            AssistantMessage reply;
            if (last instanceof ToolResponseMessage) {
                reply = new AssistantMessage("The weather in Paris is "
                        + ((ToolResponseMessage) last).getResponses().get(0).responseData());
            } else if (last.getText() != null && last.getText().contains("weather")) {
                reply = AssistantMessage.builder().content("")
                        .toolCalls(List.of(new AssistantMessage.ToolCall("call_1", "function", "weather", "{\"city\":\"Paris\"}")))
                        .build();
            } else {
                reply = new AssistantMessage("echo: " + last.getText());
            }
            return new ChatResponse(List.of(new Generation(reply)));
        }

        /** Spring AI 1.1.x asks this; without tool-calling options the client drops the tools. */
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
}
