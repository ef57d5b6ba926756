package io.github.conversationstore.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatRequestOptions;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.PartialThinkingContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.List;
import java.util.Set;

/**
 * A streaming model between the AI service and the application's model, so that a stop and the
 * model's completion cannot both be stored: each call's handle decides, atomically, whether the
 * stream was stopped (then the completion, and anything after it, never reaches the AI service,
 * which would store the whole reply) or is completing (then the stop stores nothing: the whole
 * reply is stored once by LangChain4j).
 */
final class StopGuard implements StreamingChatModel {
    private final StreamingChatModel model;

    StopGuard(StreamingChatModel model) {
        this.model = model;
    }

    @Override
    public void chat(ChatRequest request, StreamingChatResponseHandler handler) {
        model.chat(request, new Guarded(handler));
    }

    @Override
    public void chat(ChatRequest request, ChatRequestOptions options, StreamingChatResponseHandler handler) {
        model.chat(request, options, new Guarded(handler));
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        model.doChat(request, new Guarded(handler));
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return model.defaultRequestParameters();
    }

    @Override
    public List<ChatModelListener> listeners() {
        return model.listeners();
    }

    @Override
    public ModelProvider provider() {
        return model.provider();
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return model.supportedCapabilities();
    }

    /** The handle of one model call: stopped or completing, whichever is decided first. */
    static final class Handle implements StreamingHandle {
        private StreamingHandle model;
        private boolean stopped;
        private boolean completing;

        synchronized void bind(StreamingHandle handle) {
            if (model == null) {
                model = handle;
            }
        }

        /**
         * Stops the call unless its completion is on its way.
         *
         * @return true if it is stopped (the model's handle cancelled), false if it completes
         */
        boolean stop() {
            StreamingHandle cancel;
            synchronized (this) {
                if (completing) {
                    return false;
                }
                if (stopped) {
                    return true;
                }
                stopped = true;
                cancel = model;
            }
            if (cancel != null) {
                cancel.cancel();
            }
            return true;
        }

        /** Whether the completion may go on: the call was not stopped. */
        synchronized boolean complete() {
            if (stopped) {
                return false;
            }
            completing = true;
            return true;
        }

        synchronized boolean stopped() {
            return stopped;
        }

        @Override
        public void cancel() {
            stop();
        }

        @Override
        public boolean isCancelled() {
            return stopped();
        }
    }

    /** The AI service's handler, behind the call's handle. */
    private static final class Guarded implements StreamingChatResponseHandler {
        private final StreamingChatResponseHandler handler;
        private final Handle handle = new Handle();

        Guarded(StreamingChatResponseHandler handler) {
            this.handler = handler;
        }

        @Override
        public void onPartialResponse(String partialResponse) {
            if (!handle.stopped()) {
                handler.onPartialResponse(partialResponse);
            }
        }

        @Override
        public void onPartialResponse(PartialResponse partialResponse, PartialResponseContext context) {
            handle.bind(context.streamingHandle());
            if (!handle.stopped()) {
                handler.onPartialResponse(partialResponse, new PartialResponseContext(handle));
            }
        }

        @Override
        public void onPartialThinking(PartialThinking partialThinking) {
            if (!handle.stopped()) {
                handler.onPartialThinking(partialThinking);
            }
        }

        @Override
        public void onPartialThinking(PartialThinking partialThinking, PartialThinkingContext context) {
            handle.bind(context.streamingHandle());
            if (!handle.stopped()) {
                handler.onPartialThinking(partialThinking, new PartialThinkingContext(handle));
            }
        }

        @Override
        public void onPartialToolCall(PartialToolCall partialToolCall) {
            if (!handle.stopped()) {
                handler.onPartialToolCall(partialToolCall);
            }
        }

        @Override
        public void onPartialToolCall(PartialToolCall partialToolCall, PartialToolCallContext context) {
            handle.bind(context.streamingHandle());
            if (!handle.stopped()) {
                handler.onPartialToolCall(partialToolCall, new PartialToolCallContext(handle));
            }
        }

        @Override
        public void onCompleteToolCall(CompleteToolCall completeToolCall) {
            if (!handle.stopped()) {
                handler.onCompleteToolCall(completeToolCall);
            }
        }

        @Override
        public void onUnmappedRawEvent(Object rawEvent) {
            if (!handle.stopped()) {
                handler.onUnmappedRawEvent(rawEvent);
            }
        }

        @Override
        public void onCompleteResponse(ChatResponse completeResponse) {
            if (handle.complete()) {
                handler.onCompleteResponse(completeResponse);
            }
        }

        @Override
        public void onError(Throwable error) {
            if (!handle.stopped()) {
                handler.onError(error);
            }
        }
    }
}
