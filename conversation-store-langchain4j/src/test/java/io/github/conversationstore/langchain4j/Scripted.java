package io.github.conversationstore.langchain4j;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/** A scripted chat model, a tool and an AI service interface for driving the adapter through AiServices. */
final class Scripted {
    private Scripted() {}

    /**
     * Asks for the weather tool on the first call of a turn (the city is the user's text), then
     * answers with the tool's result. The step is kept per thread, so that concurrent turns of one
     * conversation, each seeing the others' messages, still follow their own script.
     */
    static final class Model implements ChatModel {
        final List<ChatRequest> requests = new CopyOnWriteArrayList<>();
        private final ThreadLocal<ToolExecutionRequest> pending = new ThreadLocal<>();

        @Override
        public ChatResponse doChat(ChatRequest request) {
            requests.add(request);
            List<ChatMessage> messages = request.messages();
            ToolExecutionRequest call = pending.get();
            if (call == null) {
                // a turn's first request ends with the turn's user message
                String city = ((UserMessage) messages.get(messages.size() - 1)).singleText();
                call = ToolExecutionRequest.builder()
                        .id("call-" + UUID.randomUUID())
                        .name("weather")
                        .arguments("{\"city\":\"" + city + "\"}")
                        .build();
                pending.set(call);
                return ChatResponse.builder().aiMessage(AiMessage.from(call))
                        .finishReason(FinishReason.TOOL_EXECUTION).build();
            }
            pending.remove();
            String result = "no result";
            for (ChatMessage m : messages) {
                if (m instanceof ToolExecutionResultMessage r && call.id().equals(r.id())) {
                    result = r.text();
                }
            }
            return ChatResponse.builder().aiMessage(AiMessage.from("The weather: " + result))
                    .finishReason(FinishReason.STOP).build();
        }
    }

    static final class WeatherTools {
        @Tool("Current weather for a city")
        public String weather(@P(name = "city", description = "the city") String city) {
            return "sunny in " + city;
        }
    }

    interface Assistant {
        @SystemMessage("You are a helpful assistant.")
        String chat(@MemoryId String conversationId, @dev.langchain4j.service.UserMessage String text);
    }
}
