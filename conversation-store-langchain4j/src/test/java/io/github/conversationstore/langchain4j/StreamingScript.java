package io.github.conversationstore.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.TokenStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A fake streaming chat model, offline: each request gets the {@link Reply} a script makes from it,
 * streamed on a thread of its own, as a real model streams. It honours cancellation: once its
 * {@link StreamingHandle} is cancelled it calls the handler no more (as LangChain4j's models do).
 */
final class StreamingScript implements StreamingChatModel {
    /** What the model streams for one request: chunks, then a stall, an error or a completion. */
    record Reply(List<String> chunks, boolean stall, RuntimeException error, AiMessage complete) {
        /** These chunks, then the whole text as the completed reply. */
        static Reply text(String... chunks) {
            return new Reply(List.of(chunks), false, null, AiMessage.from(String.join("", chunks)));
        }

        /** These chunks, then nothing until cancelled (a model that went quiet). */
        static Reply stall(String... chunks) {
            return new Reply(List.of(chunks), true, null, null);
        }

        /** These chunks, then the error (a connection reset mid-stream). */
        static Reply fail(RuntimeException error, String... chunks) {
            return new Reply(List.of(chunks), false, error, null);
        }

        /** These chunks, then a completed reply asking for a tool. */
        static Reply toolCall(ToolExecutionRequest call, String... chunks) {
            String text = String.join("", chunks);
            return new Reply(List.of(chunks), false, null,
                    text.isEmpty() ? AiMessage.from(call) : AiMessage.from(text, List.of(call)));
        }
    }

    /** An AI service whose method streams. */
    interface Assistant {
        TokenStream chat(@MemoryId String conversationId, @dev.langchain4j.service.UserMessage String text);
    }

    final List<ChatRequest> requests = new CopyOnWriteArrayList<>();
    private final Function<ChatRequest, Reply> script;
    /** Whether a cancel makes the model complete (the completion that was already on its way). */
    volatile boolean completesWhenCancelled;

    StreamingScript(Function<ChatRequest, Reply> script) {
        this.script = script;
    }

    /** The text of the request's last user message. */
    static String lastUserText(ChatRequest request) {
        List<ChatMessage> messages = request.messages();
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i) instanceof UserMessage user) {
                return user.singleText();
            }
        }
        return "";
    }

    /** Whether the request's last message is a tool result: the round after the tools. */
    static boolean afterTools(ChatRequest request) {
        List<ChatMessage> messages = request.messages();
        return !messages.isEmpty() && messages.get(messages.size() - 1) instanceof ToolExecutionResultMessage;
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        requests.add(request);
        Reply reply = script.apply(request);
        boolean racing = completesWhenCancelled;
        Thread thread = new Thread(() -> stream(reply, handler, racing), "fake-model-stream");
        thread.setDaemon(true);
        thread.start();
    }

    private static void stream(Reply reply, StreamingChatResponseHandler handler, boolean racing) {
        Handle handle = new Handle();
        if (racing) {
            handle.onCancel = () -> handler.onCompleteResponse(ChatResponse.builder()
                    .aiMessage(AiMessage.from(String.join("", reply.chunks()))).finishReason(FinishReason.STOP).build());
        }
        for (String chunk : reply.chunks()) {
            if (handle.isCancelled()) {
                return;
            }
            handler.onPartialResponse(new PartialResponse(chunk), new PartialResponseContext(handle));
        }
        if (handle.isCancelled()) {
            return;
        }
        if (reply.stall()) {
            handle.awaitCancel();
            return;
        }
        if (reply.error() != null) {
            handler.onError(reply.error());
            return;
        }
        AiMessage complete = reply.complete();
        handler.onCompleteResponse(ChatResponse.builder().aiMessage(complete)
                .finishReason(complete.hasToolExecutionRequests() ? FinishReason.TOOL_EXECUTION : FinishReason.STOP)
                .build());
    }

    private static final class Handle implements StreamingHandle {
        private final CountDownLatch cancelled = new CountDownLatch(1);
        Runnable onCancel;

        @Override
        public void cancel() {
            boolean first = cancelled.getCount() > 0;
            cancelled.countDown();
            if (first && onCancel != null) {
                onCancel.run();
            }
        }

        @Override
        public boolean isCancelled() {
            return cancelled.getCount() == 0;
        }

        void awaitCancel() {
            try {
                cancelled.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
