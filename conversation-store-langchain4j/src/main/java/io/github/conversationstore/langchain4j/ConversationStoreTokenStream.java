package io.github.conversationstore.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.PartialThinkingContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.langchain4j.rag.content.Content;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.tool.BeforeToolExecution;
import dev.langchain4j.service.tool.ToolExecution;
import io.github.conversationstore.Message;
import io.github.conversationstore.TurnService;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A {@link TokenStream} of a streaming AI service that keeps the partial reply of a stream that did
 * not finish: when the stream {@linkplain #stop() is stopped} (or cancelled through the
 * {@code StreamingHandle} of a {@link PartialResponseContext}) or fails, the text streamed so far is
 * added to the memory once, as an {@link AiMessage} whose attribute {@code finishReason} is
 * {@code "stopped"}; the store keeps it as the message's
 * {@link Message#FINISH_REASON} metadata too ({@link TurnService#STOPPED}).
 *
 * <p>LangChain4j alone adds a streamed reply to the memory when the model completes it, and nothing
 * when the stream fails (its handler only calls {@code onError}) or is cancelled (the model stops
 * calling the handler): the conversation keeps the user's message without an answer. With this
 * wrapper:
 * <ul>
 *   <li>A stream that completes is stored by LangChain4j alone, once, as before; the wrapper adds
 *       nothing.</li>
 *   <li>A stream stopped or failed while a round streams adds that round's text, once, whichever
 *       comes first; later chunks are neither shown nor stored, and a later round (after tools)
 *       is cancelled at its first chunk.</li>
 *   <li>Tool rounds keep their order and pairing: LangChain4j adds the AI message with the tool
 *       requests and then each result (the memories of this module store them together in one
 *       append), and the partial reply holds the text of the round that was stopped only, after
 *       them. Tool calls of an unfinished round are never stored (nobody ran them).</li>
 *   <li>{@link #stop()} while no round streams (before the first chunk, or while tools run) takes
 *       effect at the next round's first chunk, or at an error: the partial reply, empty, is stored
 *       then. A round that completes without any chunk is stored whole by LangChain4j.</li>
 * </ul>
 *
 * <p>For example, with an AI service whose method returns a {@code TokenStream},
 *
 * <!-- snippet file="io/github/conversationstore/langchain4j/examples/LangChain4jExamplesTest.java" region="streaming-assistant" -->
 * <pre>{@code
 * interface StreamingAssistant {
 *     TokenStream chat(@MemoryId String conversationId, @UserMessage String text);
 * }
 * }</pre>
 *
 * <p>a stream the user stops keeps what was streamed:
 *
 * <!-- snippet file="io/github/conversationstore/langchain4j/examples/LangChain4jExamplesTest.java" region="token-stream" -->
 * <pre>{@code
 * ConversationStoreChatMemoryProvider memories = ConversationStoreChatMemoryProvider.builder()
 *         .store(store)
 *         .build();
 * StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class)
 *         .streamingChatModel(ConversationStoreTokenStream.guard(model)) // a stop and a completion: one reply
 *         .chatMemoryProvider(memories)
 *         .build();
 * ConversationStoreTokenStream stream = ConversationStoreTokenStream.of(
 *         assistant.chat("session-42", "Tell me a long story."), // the AI service's TokenStream
 *         memories.get("session-42"));                          // the memory it writes to
 * stream.onPartialResponse(chunk -> {
 *             shown.append(chunk);
 *             userPressesStop.countDown(); // in this example, once the first chunk is shown
 *         })
 *         .onError(errors::add)
 *         .start();
 * userPressesStop.await();
 * stream.stop();
 * // stored: the user's message, then the text streamed so far, marked finishReason=stopped
 * }</pre>
 *
 * <p>The partial reply is added on the thread that calls {@link #stop()} (the model's thread for a
 * cancel through the handle, a deferred stop or an error): when {@code stop()} returns during a
 * streaming round, it is stored. A failed write on an error is added to the error as a suppressed
 * exception before the error handler gets it; on {@code stop()} it is thrown to the caller.
 *
 * <p>A completion already on its way when {@code stop()} is called from another thread (between the
 * model's last chunk and LangChain4j's handling of the completion) is settled by
 * {@link #guard(StreamingChatModel)}: with the AI service's model behind the guard, either the
 * stop wins (the completion never reaches LangChain4j) or the completion does (the stop stores
 * nothing), so the reply is stored once. Without the guard, that race stores the partial reply and
 * then LangChain4j the whole one; a cancel through the chunk handler's handle, on the model's
 * thread, cannot meet it. A model that cannot cancel (its handle throws, as LangChain4j's stand-in
 * for models that only call {@code onPartialResponse(String)} does) is not stopped: {@code stop()}
 * throws what the handle threw, stores nothing, and the reply goes on to be stored whole.
 *
 * <p>The memory is the one the AI service writes to ({@code ChatMemoryProvider.get(memoryId)});
 * any {@link ChatMemory} works. Configure and {@link #start()} the wrapper, not the stream it wraps.
 * Thread-safe: {@link #stop()} may be called from any thread.
 *
 * @since 0.3
 */
public final class ConversationStoreTokenStream implements TokenStream {
    private static final System.Logger LOG = System.getLogger(ConversationStoreTokenStream.class.getName());

    private final TokenStream delegate;
    private final ChatMemory memory;
    private final StreamingHandle handle = new Handle();

    private Consumer<String> partialHandler;
    private BiConsumer<PartialResponse, PartialResponseContext> partialWithContextHandler;
    private Consumer<ChatResponse> intermediateHandler;
    private Consumer<ChatResponse> completeHandler;
    private Consumer<Throwable> errorHandler;
    private boolean ignoreErrors;

    private final Object lock = new Object();
    /** The text of the round that streams, since its first chunk. */
    private final StringBuilder text = new StringBuilder();
    /** The model's handle of the round that streams; null before its first chunk and between rounds. */
    private StreamingHandle current;
    private boolean started;
    private boolean stopRequested;
    /** The stream's end is known (completed, or the partial reply stored): nothing more is stored. */
    private boolean settled;

    private ConversationStoreTokenStream(TokenStream delegate, ChatMemory memory) {
        this.delegate = delegate;
        this.memory = memory;
    }

    /**
     * Wraps an AI service's token stream, to keep its partial reply in {@code memory}.
     *
     * @param stream the stream an AI service method returned, not yet configured or started
     * @param memory the memory the AI service writes this conversation to
     * @return the wrapper: configure it and start it instead of {@code stream}
     * @throws NullPointerException if {@code stream} or {@code memory} is null
     * @since 0.3
     */
    public static ConversationStoreTokenStream of(TokenStream stream, ChatMemory memory) {
        return new ConversationStoreTokenStream(Objects.requireNonNull(stream, "stream"),
                Objects.requireNonNull(memory, "memory"));
    }

    /**
     * Puts a guard between the AI service and its model, so that a {@link #stop()} and the model's
     * completion are never both stored: give the AI service {@code guard(model)} as its
     * {@code streamingChatModel}. Each call then decides, atomically, whether it was stopped (the
     * completion, and any chunk or error after the stop, never reaches the AI service, which would
     * store the whole reply after the partial one) or is completing (the stop then stores nothing:
     * the whole reply is stored once). Everything else passes through unchanged. Without the
     * guard, a {@code stop()} from another thread that meets a completion already on its way
     * stores the partial reply and LangChain4j the whole one.
     *
     * @param model the application's streaming model
     * @return the model behind the guard, for {@code AiServices.builder(...).streamingChatModel(...)}
     * @throws NullPointerException if {@code model} is null
     * @since 0.3
     */
    public static StreamingChatModel guard(StreamingChatModel model) {
        return new StopGuard(Objects.requireNonNull(model, "model"));
    }

    /**
     * Sets the handler of each chunk of text (the chunks of a stopped stream stop with it).
     *
     * @param handler the handler
     * @return this stream
     * @throws NullPointerException if {@code handler} is null
     * @since 0.3
     */
    @Override
    public ConversationStoreTokenStream onPartialResponse(Consumer<String> handler) {
        this.partialHandler = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /**
     * Sets the handler of each chunk of text with its context; cancelling the context's
     * {@code StreamingHandle} is {@link #stop()}.
     *
     * @param handler the handler
     * @return this stream
     * @throws NullPointerException if {@code handler} is null
     * @since 0.3
     */
    @Override
    public ConversationStoreTokenStream onPartialResponseWithContext(
            BiConsumer<PartialResponse, PartialResponseContext> handler) {
        this.partialWithContextHandler = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /**
     * Passes the handler of thinking chunks to the wrapped stream.
     *
     * @param handler the handler
     * @return this stream
     * @since 0.3
     */
    @Override
    public ConversationStoreTokenStream onPartialThinking(Consumer<PartialThinking> handler) {
        delegate.onPartialThinking(handler);
        return this;
    }

    /**
     * Passes the handler of thinking chunks with their context to the wrapped stream.
     *
     * @param handler the handler
     * @return this stream
     * @since 0.3
     */
    @Override
    public ConversationStoreTokenStream onPartialThinkingWithContext(
            BiConsumer<PartialThinking, PartialThinkingContext> handler) {
        delegate.onPartialThinkingWithContext(handler);
        return this;
    }

    /**
     * Passes the handler of tool-call chunks to the wrapped stream.
     *
     * @param handler the handler
     * @return this stream
     * @since 0.3
     */
    @Override
    public ConversationStoreTokenStream onPartialToolCall(Consumer<PartialToolCall> handler) {
        delegate.onPartialToolCall(handler);
        return this;
    }

    /**
     * Passes the handler of tool-call chunks with their context to the wrapped stream.
     *
     * @param handler the handler
     * @return this stream
     * @since 0.3
     */
    @Override
    public ConversationStoreTokenStream onPartialToolCallWithContext(
            BiConsumer<PartialToolCall, PartialToolCallContext> handler) {
        delegate.onPartialToolCallWithContext(handler);
        return this;
    }

    /**
     * Passes the handler of retrieved contents to the wrapped stream.
     *
     * @param handler the handler
     * @return this stream
     * @since 0.3
     */
    @Override
    public ConversationStoreTokenStream onRetrieved(Consumer<List<Content>> handler) {
        delegate.onRetrieved(handler);
        return this;
    }

    /**
     * Sets the handler of each response that asks for tools (a round that completed; LangChain4j
     * has added it to the memory).
     *
     * @param handler the handler
     * @return this stream
     * @throws NullPointerException if {@code handler} is null
     * @since 0.3
     */
    @Override
    public ConversationStoreTokenStream onIntermediateResponse(Consumer<ChatResponse> handler) {
        this.intermediateHandler = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /**
     * Passes the handler called before each tool runs to the wrapped stream.
     *
     * @param handler the handler
     * @return this stream
     * @since 0.3
     */
    @Override
    public ConversationStoreTokenStream beforeToolExecution(Consumer<BeforeToolExecution> handler) {
        delegate.beforeToolExecution(handler);
        return this;
    }

    /**
     * Passes the handler of the model's unmapped events to the wrapped stream.
     *
     * @param handler the handler
     * @return this stream
     * @since 0.3
     */
    @Override
    public ConversationStoreTokenStream onUnmappedRawEvent(Consumer<Object> handler) {
        delegate.onUnmappedRawEvent(handler);
        return this;
    }

    /**
     * Passes the handler of each tool run to the wrapped stream.
     *
     * @param handler the handler
     * @return this stream
     * @since 0.3
     */
    @Override
    public ConversationStoreTokenStream onToolExecuted(Consumer<ToolExecution> handler) {
        delegate.onToolExecuted(handler);
        return this;
    }

    /**
     * Sets the handler of the completed reply (LangChain4j has added it to the memory).
     *
     * @param handler the handler
     * @return this stream
     * @throws NullPointerException if {@code handler} is null
     * @since 0.3
     */
    @Override
    public ConversationStoreTokenStream onCompleteResponse(Consumer<ChatResponse> handler) {
        this.completeHandler = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /**
     * Sets the handler of an error; when it is called, the partial reply is stored.
     *
     * @param handler the handler
     * @return this stream
     * @throws NullPointerException if {@code handler} is null
     * @since 0.3
     */
    @Override
    public ConversationStoreTokenStream onError(Consumer<Throwable> handler) {
        this.errorHandler = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /**
     * Ignores errors (logged as a WARNING); the partial reply of a failed stream is still stored.
     *
     * @return this stream
     * @since 0.3
     */
    @Override
    public ConversationStoreTokenStream ignoreErrors() {
        this.ignoreErrors = true;
        return this;
    }

    /**
     * Starts the stream.
     *
     * @throws IllegalStateException if it was started before, if both {@code onPartialResponse}
     *     and {@code onPartialResponseWithContext} were set, or if neither or both of
     *     {@code onError} and {@code ignoreErrors} were
     * @since 0.3
     */
    @Override
    public void start() {
        if (partialHandler != null && partialWithContextHandler != null) {
            throw new IllegalStateException("set one of onPartialResponse and onPartialResponseWithContext, not both");
        }
        if ((errorHandler != null) == ignoreErrors) {
            throw new IllegalStateException("call exactly one of onError and ignoreErrors before start()");
        }
        synchronized (lock) {
            if (started) {
                throw new IllegalStateException("the stream was started before");
            }
            started = true;
        }
        delegate.onPartialResponseWithContext(this::partial)
                .onIntermediateResponse(this::intermediate)
                .onCompleteResponse(this::completed)
                .onError(this::failed)
                .start();
    }

    /**
     * Stops the stream and stores the partial reply once, marked {@code finishReason} {@code "stopped"}:
     * at once while a round streams (the model's handle is cancelled), else at the next round's
     * first chunk or at an error (see the class comment). Idempotent; nothing happens once the
     * stream has completed, failed or stopped.
     *
     * @throws IllegalStateException if the stream was not started
     * @throws RuntimeException what the model's handle threw if the model cannot cancel (nothing is
     *     stored then, and the stream goes on); what the memory threw if the partial reply could not
     *     be stored (a {@link io.github.conversationstore.ConversationStoreException} for this
     *     module's memories)
     * @since 0.3
     */
    public void stop() {
        StreamingHandle cancel;
        String partial;
        synchronized (lock) {
            if (!started) {
                throw new IllegalStateException("stop() before start(): nothing streams yet");
            }
            if (settled || stopRequested) {
                return;
            }
            stopRequested = true;
            if (current == null) {
                return; // no round streams: at the next round's first chunk, or at an error
            }
            cancel = current;
            settled = true;
            partial = text.toString();
        }
        if (cancel instanceof StopGuard.Handle guarded) {
            if (!guarded.stop()) {
                return; // the completion won: LangChain4j stores the whole reply, once
            }
        } else {
            try {
                cancel.cancel();
            } catch (RuntimeException e) {
                synchronized (lock) { // a model that cannot stop: its reply goes on, and is stored whole
                    settled = false;
                    stopRequested = false;
                }
                throw e;
            }
        }
        store(partial);
    }

    private void partial(PartialResponse chunk, PartialResponseContext context) {
        String partial;
        StreamingHandle round = context == null ? null : context.streamingHandle();
        synchronized (lock) {
            if (settled) {
                if (round != null && !round.isCancelled()) {
                    round.cancel(); // a round after the stop (tools were running): it ends here
                }
                return;
            }
            current = round;
            if (!stopRequested) {
                text.append(chunk.text() == null ? "" : chunk.text());
                partial = null;
            } else {
                // a stop asked while no round streamed: this round ends at its first chunk
                settled = true;
                partial = text.toString();
            }
        }
        if (partial != null) {
            try {
                if (round != null) {
                    round.cancel();
                }
            } catch (RuntimeException e) {
                // a model that cannot stop: its reply goes on, shown, and is stored whole by LangChain4j
                LOG.log(System.Logger.Level.WARNING, "conversation-store: the model cannot stop its stream ("
                        + e.getMessage() + "); its reply is stored whole when it completes");
                synchronized (lock) {
                    settled = false;
                    stopRequested = false;
                    text.append(chunk.text() == null ? "" : chunk.text());
                }
                deliver(chunk);
                return;
            }
            store(partial);
            return;
        }
        deliver(chunk);
    }

    private void deliver(PartialResponse chunk) {
        if (partialHandler != null) {
            partialHandler.accept(chunk.text());
        } else if (partialWithContextHandler != null) {
            partialWithContextHandler.accept(chunk, new PartialResponseContext(handle));
        }
    }

    private void intermediate(ChatResponse response) {
        synchronized (lock) {
            // the round asked for tools and is in the memory: the next round's text starts anew
            text.setLength(0);
            current = null;
        }
        if (intermediateHandler != null) {
            intermediateHandler.accept(response);
        }
    }

    private void completed(ChatResponse response) {
        synchronized (lock) {
            settled = true;
            current = null;
        }
        if (completeHandler != null) {
            completeHandler.accept(response);
        }
    }

    private void failed(Throwable error) {
        String partial = null;
        synchronized (lock) {
            if (!settled) {
                settled = true;
                partial = text.toString();
            }
            current = null;
        }
        if (partial != null) {
            try {
                store(partial);
            } catch (RuntimeException e) {
                error.addSuppressed(e);
            }
        }
        if (errorHandler != null) {
            errorHandler.accept(error);
        } else {
            LOG.log(System.Logger.Level.WARNING, "conversation-store: ignored error of a streaming AI service", error);
        }
    }

    private void store(String partial) {
        memory.add(AiMessage.builder()
                .text(partial)
                .attributes(Map.of(MessageMapper.FINISH_REASON, TurnService.STOPPED))
                .build());
    }

    /** The handle a chunk handler gets: cancelling it stops the stream. */
    private final class Handle implements StreamingHandle {
        @Override
        public void cancel() {
            stop();
        }

        @Override
        public boolean isCancelled() {
            synchronized (lock) {
                return stopRequested;
            }
        }
    }
}
