package io.github.conversationstore.springai;

import io.github.conversationstore.TurnService;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.core.Ordered;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Signal;

/**
 * Keeps the partial reply of a {@code ChatClient.stream()} that did not finish: when the stream is
 * cancelled (the subscriber disposed it, {@code take(n)}, a client that went away) or fails
 * mid-stream, the text streamed so far is added to the chat memory once, as an
 * {@link AssistantMessage} whose metadata hold {@code finishReason = "stopped"}
 * ({@link io.github.conversationstore.Message#FINISH_REASON}, {@link TurnService#STOPPED}), which the
 * store keeps as the stored message's metadata.
 *
 * <p>It goes beside the memory advisor ({@code MessageChatMemoryAdvisor}), never instead of it:
 * <ul>
 *   <li>A stream that completes is stored by the memory advisor alone, once: its aggregator adds
 *       the whole reply when the stream completes. This advisor then stores nothing, so a reply is
 *       never stored twice and never once per chunk.</li>
 *   <li>A stream that is cancelled or fails is not stored at all by Spring AI (its
 *       {@code MessageAggregator} adds the reply on completion only; on an error it only logs, on a
 *       cancel it does nothing), so the conversation would hold the user's message without an
 *       answer. This advisor adds the partial reply then: once, whichever of cancel and error comes
 *       first, and nothing when the stream had completed before. A completion already on its way
 *       when a cancel stored the partial reply goes no further (nor does anything else after it),
 *       so that the memory advisor does not store the whole reply as well.</li>
 *   <li>The partial reply holds the text only. Tool calls that arrived in its chunks are left out:
 *       nobody ran them, and a call stored without its result would break the history the next
 *       request sends (the store never splits a call from its result, and models refuse such a
 *       history). Tool rounds that completed are stored by the memory advisor as usual, in order.</li>
 *   <li>The chunks' metadata are kept (merged, later chunks winning), except that
 *       {@code finishReason} is {@code stopped}.
 *       A stream cancelled before its first chunk stores an empty reply marked stopped, so that the
 *       user's message is answered in the history.</li>
 * </ul>
 *
 * <p>The partial reply is added on the thread that signals the end: the one that disposes the
 * subscription (so that when {@code dispose()} returns the reply is stored, before any next
 * request of the conversation), or the model's thread for an error, before the error reaches the
 * subscriber. If that write fails, the error of a failed stream carries the write's exception as a
 * suppressed one; the failure of a write on cancel is logged as a WARNING (a cancel has no one to
 * tell). Each stream keeps its own partial reply: concurrent streams, of one conversation or many,
 * do not mix.
 *
 * <p>The conversation is the request's {@link ChatMemory#CONVERSATION_ID} advisor parameter, as
 * for the memory advisor, or the {@linkplain Builder#defaultConversationId(String) default} when
 * the request has none. The advisor's {@linkplain Builder#order(int) order} defaults to
 * {@link #DEFAULT_ORDER}, just before the model, inside any memory advisor and tool loop: it sees
 * the chunks of one model call, so a partial reply holds the text of the round that was stopped
 * only (earlier rounds were stored whole by the memory advisor when it sits inside the tool loop).
 * For example:
 *
 * <!-- snippet file="io/github/conversationstore/springai/examples/SpringAiExamplesTest.java" region="stream-advisor" -->
 * <pre>{@code
 * ChatMemory chatMemory = ConversationStoreChatMemory.builder(store).build();
 * ChatClient chatClient = ChatClient.builder(chatModel)
 *         .defaultAdvisors(
 *                 MessageChatMemoryAdvisor.builder(chatMemory).build(), // stores the whole reply
 *                 ConversationStoreStreamAdvisor.builder(chatMemory).build()) // or the partial one
 *         .build();
 * Disposable stream = chatClient.prompt()
 *         .user("Tell me a long story.")
 *         .advisors(advisor -> advisor.param(ChatMemory.CONVERSATION_ID, "session-42"))
 *         .stream()
 *         .content()
 *         .subscribe(chunk -> {
 *             shown.append(chunk);
 *             userPressesStop.countDown(); // in this example, once the first chunk is shown
 *         });
 * userPressesStop.await();
 * stream.dispose();
 * // stored: the user's message, then the text streamed so far, marked finishReason=stopped
 * }</pre>
 *
 * <p>Works with any {@link ChatMemory}, with Spring AI 1.1.x and 2.0.x. A {@code call()} is not
 * advised. Thread-safe.
 *
 * @since 0.3
 */
public final class ConversationStoreStreamAdvisor implements StreamAdvisor {
    /**
     * The default order: {@code Ordered.LOWEST_PRECEDENCE - 1}, the last advisor before the model
     * (Spring AI's own model-calling advisor has the lowest precedence).
     *
     * @since 0.3
     */
    public static final int DEFAULT_ORDER = Ordered.LOWEST_PRECEDENCE - 1;

    /** The conversation id of a request without one, as Spring AI 1.1's memory advisor uses it. */
    private static final String DEFAULT_CONVERSATION_ID = "default";

    private static final System.Logger LOG = System.getLogger(ConversationStoreStreamAdvisor.class.getName());

    private final ChatMemory chatMemory;
    private final String defaultConversationId;
    private final int order;

    private ConversationStoreStreamAdvisor(Builder builder) {
        this.chatMemory = builder.chatMemory;
        this.defaultConversationId = builder.defaultConversationId;
        this.order = builder.order;
    }

    /**
     * Starts a builder of an advisor that adds partial replies to this memory.
     *
     * @param chatMemory the memory the memory advisor uses, such as a
     *     {@link ConversationStoreChatMemory}
     * @return a builder with the defaults: conversation {@code default}, order {@link #DEFAULT_ORDER}
     * @throws NullPointerException if {@code chatMemory} is null
     * @since 0.3
     */
    public static Builder builder(ChatMemory chatMemory) {
        return new Builder(Objects.requireNonNull(chatMemory, "chatMemory"));
    }

    /**
     * Passes the stream on unchanged, and adds the partial reply to the memory if it is cancelled
     * or fails before it completes (see the class comment).
     *
     * @param request the request
     * @param chain the rest of the chain
     * @return the stream of the rest of the chain, with the same chunks and the same end
     * @throws NullPointerException if {@code request} or {@code chain} is null
     * @since 0.3
     */
    @Override
    public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(chain, "chain");
        Object id = request.context().get(ChatMemory.CONVERSATION_ID);
        String conversationId = id == null ? defaultConversationId : id.toString();
        return Flux.defer(() -> {
            Partial partial = new Partial(conversationId);
            // every signal passes the partial reply, in turn with a cancel: whichever comes first
            // settles the stream, and what comes after a cancel that stored the partial reply (a
            // completion already on its way) goes no further, so the memory advisor cannot store
            // the whole reply as well
            return chain.nextStream(request)
                    .materialize()
                    .filter(partial::pass)
                    .doOnCancel(partial::cancelled)
                    .<ChatClientResponse>dematerialize();
        });
    }

    /**
     * Returns the advisor's name.
     *
     * @return {@code ConversationStoreStreamAdvisor}
     * @since 0.3
     */
    @Override
    public String getName() {
        return "ConversationStoreStreamAdvisor";
    }

    /**
     * Returns the advisor's order.
     *
     * @return the order given to the builder, {@link #DEFAULT_ORDER} by default
     * @since 0.3
     */
    @Override
    public int getOrder() {
        return order;
    }

    /** The reply of one stream so far, and whether its end was settled: added once at most. */
    private final class Partial {
        private final String conversationId;
        private final StringBuilder text = new StringBuilder();
        private final Map<String, Object> metadata = new LinkedHashMap<>();
        private boolean settled;
        /** A cancel stored the partial reply: later signals are dropped. */
        private boolean stopped;

        Partial(String conversationId) {
            this.conversationId = conversationId;
        }

        /**
         * Takes a signal of the stream: a chunk is added to the text, a completion settles the
         * stream (the memory advisor stores the whole reply), an error stores the partial reply.
         * Returns whether the signal goes on: not after a cancel stored the partial reply.
         */
        boolean pass(Signal<ChatClientResponse> signal) {
            synchronized (this) {
                if (stopped) {
                    return false;
                }
                if (signal.isOnNext()) {
                    add(signal.get());
                    return true;
                }
                if (signal.isOnComplete()) {
                    settled = true;
                    return true;
                }
            }
            Throwable error = signal.getThrowable();
            if (signal.isOnError() && error != null) {
                try {
                    store(false);
                } catch (RuntimeException e) {
                    error.addSuppressed(e);
                }
            }
            return true;
        }

        private void add(ChatClientResponse chunk) {
            ChatResponse response = chunk == null ? null : chunk.chatResponse();
            if (settled || response == null) {
                return;
            }
            Generation generation = response.getResult();
            AssistantMessage output = generation == null ? null : generation.getOutput();
            if (output == null) {
                return;
            }
            if (output.getText() != null) {
                text.append(output.getText());
            }
            metadata.putAll(output.getMetadata());
        }

        void cancelled() {
            try {
                store(true);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "conversation-store: the partial reply of a cancelled stream"
                        + " could not be stored in conversation '" + conversationId + "'", e);
            }
        }

        /** Adds the partial reply, unless the stream's end was settled before; {@code cancel}: on a cancel. */
        private void store(boolean cancel) {
            Message partial;
            synchronized (this) {
                if (settled) {
                    return;
                }
                settled = true;
                stopped = cancel;
                Map<String, Object> properties = new LinkedHashMap<>(metadata);
                properties.remove("messageType"); // Spring AI's constructors put it back
                properties.put(io.github.conversationstore.Message.FINISH_REASON, TurnService.STOPPED);
                partial = AssistantMessage.builder().content(text.toString()).properties(properties).build();
            }
            chatMemory.add(conversationId, List.of(partial));
        }
    }

    /**
     * Builds a {@link ConversationStoreStreamAdvisor}. Not thread-safe.
     *
     * @since 0.3
     */
    public static final class Builder {
        private final ChatMemory chatMemory;
        private String defaultConversationId = DEFAULT_CONVERSATION_ID;
        private int order = DEFAULT_ORDER;

        private Builder(ChatMemory chatMemory) {
            this.chatMemory = chatMemory;
        }

        /**
         * Sets the conversation of a request without a {@link ChatMemory#CONVERSATION_ID} advisor
         * parameter (default {@code default}): the memory advisor's default conversation id.
         *
         * @param value the conversation id, not blank
         * @return this builder
         * @throws NullPointerException if {@code value} is null
         * @throws IllegalArgumentException if {@code value} is blank
         * @since 0.3
         */
        public Builder defaultConversationId(String value) {
            Objects.requireNonNull(value, "defaultConversationId");
            if (value.isBlank()) {
                throw new IllegalArgumentException("defaultConversationId must not be blank");
            }
            this.defaultConversationId = value;
            return this;
        }

        /**
         * Sets the advisor's order (default {@link #DEFAULT_ORDER}). Keep it after the memory
         * advisor's (a larger number) and inside any tool loop, so that a partial reply holds the
         * stopped round only.
         *
         * @param value the order
         * @return this builder
         * @since 0.3
         */
        public Builder order(int value) {
            this.order = value;
            return this;
        }

        /**
         * Builds the advisor.
         *
         * @return the advisor
         * @since 0.3
         */
        public ConversationStoreStreamAdvisor build() {
            return new ConversationStoreStreamAdvisor(this);
        }
    }
}
