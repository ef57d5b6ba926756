package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.springai.testing.SpringAiLine;
import io.github.conversationstore.springai.testing.StreamingModel;
import io.github.conversationstore.testing.ForwardingConversationStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ChatClientMessageAggregator;
import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.prompt.Prompt;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * {@code ChatClient.stream()} with the memory advisor and {@link ConversationStoreStreamAdvisor}:
 * a streamed reply is stored once, whole when the stream completes, the partial text marked
 * stopped when it is cancelled or fails.
 *
 * <p>Without the stream advisor, Spring AI (1.1 and 2.0) stores nothing of a cancelled or failed
 * stream: {@code MessageChatMemoryAdvisor} aggregates the chunks with {@code MessageAggregator},
 * which adds the reply on completion only (it logs an error and ignores a cancel).
 * {@link #memoryAdvisorAlone_cancelledOrFailedStream_storesNoReply()} shows it; each test of a
 * cancel or an error below therefore fails without the stream advisor.
 */
class StreamAdvisorTest {
    private final ConversationStore store = InMemoryConversationStore.create();
    private final ChatMemory memory = ConversationStoreChatMemory.builder(store).language("en").build();

    @AfterEach
    void close() {
        store.close();
    }

    private ChatClient client(ChatModel model) {
        return ChatClient.builder(model)
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(),
                        ConversationStoreStreamAdvisor.builder(memory).build())
                .build();
    }

    private static Flux<String> stream(ChatClient client, String conversationId, String text) {
        return client.prompt()
                .user(text)
                .advisors(advisor -> advisor.param(ChatMemory.CONVERSATION_ID, conversationId))
                .stream()
                .content();
    }

    private List<StoredMessage> stored(String conversationId) {
        return store.readMessages(conversationId, 0, 100);
    }

    private static void assertStopped(StoredMessage message, String text) {
        assertThat(message.role()).isEqualTo(Role.ASSISTANT);
        assertThat(message.text()).isEqualTo(text);
        assertThat(message.message().metadata()).containsEntry(io.github.conversationstore.Message.FINISH_REASON, TurnService.STOPPED);
        assertThat(message.message().toolCalls()).isEmpty();
    }

    /**
     * Spring AI alone stores a completed stream once too: this test guards the advisor (which must
     * leave a completed stream to the memory advisor), it does not fail without it.
     */
    @Test
    void completedStream_storesTheWholeReplyOnce() {
        ChatClient client = client(StreamingModel.chunks("Hola", ", ¿qué", " tal?"));

        List<String> chunks = stream(client, "s1", "Say hello in Spanish").collectList().block();

        assertThat(chunks).containsExactly("Hola", ", ¿qué", " tal?");
        List<StoredMessage> stored = stored("s1");
        // one message for the reply: not one per chunk, not one by each advisor
        assertThat(stored).extracting(StoredMessage::text).containsExactly("Say hello in Spanish", "Hola, ¿qué tal?");
        assertThat(stored.get(1).message().metadata()).doesNotContainEntry(io.github.conversationstore.Message.FINISH_REASON, TurnService.STOPPED);
    }

    @Test
    void cancelledAfterTwoChunks_storesThePartialReplyOnceMarkedStopped() {
        ChatClient client = client(StreamingModel.chunks("Once", " upon", " a", " time"));

        // take(2) cancels the stream after its second chunk
        List<String> shown = stream(client, "s1", "Tell me a story").take(2).collectList().block();

        assertThat(shown).containsExactly("Once", " upon");
        List<StoredMessage> stored = stored("s1");
        assertThat(stored).hasSize(2);
        assertThat(stored.get(0).text()).isEqualTo("Tell me a story");
        assertStopped(stored.get(1), "Once upon");
    }

    @Test
    void disposedWhileTheModelStalls_storesThePartialReplyBeforeDisposeReturns() throws InterruptedException {
        // two chunks, then the model goes quiet: the user presses stop
        ChatClient client = client(new StreamingModel(user -> Flux.concat(
                Flux.just(StreamingModel.chunk("Once"), StreamingModel.chunk(" upon")), Flux.never())));
        CountDownLatch two = new CountDownLatch(2);
        StringBuilder shown = new StringBuilder();

        Disposable subscription = stream(client, "s1", "Tell me a story").subscribe(chunk -> {
            shown.append(chunk);
            two.countDown();
        });
        assertThat(two.await(10, TimeUnit.SECONDS)).isTrue();
        subscription.dispose();

        assertThat(shown).hasToString("Once upon");
        List<StoredMessage> stored = stored("s1");
        assertThat(stored).hasSize(2);
        assertStopped(stored.get(1), "Once upon");
        // a second dispose stores nothing more
        subscription.dispose();
        assertThat(stored("s1")).hasSize(2);
    }

    @Test
    void errorMidStream_storesThePartialReplyMarkedStopped_andTheErrorReachesTheSubscriber() {
        ChatClient client = client(new StreamingModel(user -> Flux.concat(
                Flux.just(StreamingModel.chunk("Once"), StreamingModel.chunk(" upon")),
                Flux.error(new IllegalStateException("connection reset by the model")))));

        assertThatThrownBy(() -> stream(client, "s1", "Tell me a story").collectList().block())
                .satisfies(error -> assertThat(causes(error)).anyMatch(
                        cause -> "connection reset by the model".equals(cause.getMessage())));

        List<StoredMessage> stored = stored("s1");
        assertThat(stored).hasSize(2);
        assertStopped(stored.get(1), "Once upon");
    }

    @Test
    void cancelledAfterAToolCallChunk_storesTheTextWithoutTheUnansweredCall() {
        // user-controlled tool execution streams the call as a chunk; the stream is stopped before
        // anyone ran the tool: a call stored without its result would break the next request
        ChatClient client = client(new StreamingModel(user -> Flux.concat(
                Flux.just(StreamingModel.chunk("Let me check."),
                        StreamingModel.toolCall("call_1", "weather", "{\"city\":\"Paris\"}")),
                Flux.never())));

        stream(client, "s1", "Weather in Paris?").take(1).collectList().block();

        List<StoredMessage> stored = stored("s1");
        assertThat(stored).hasSize(2);
        assertStopped(stored.get(1), "Let me check.");
        // the next request's window holds a valid history: the question, the stopped reply
        assertThat(memory.get("s1")).hasSize(2);
    }

    @Test
    void cancelledBeforeAnyChunk_storesAnEmptyReplyMarkedStopped() throws InterruptedException {
        CountDownLatch asked = new CountDownLatch(1);
        ChatClient client = client(new StreamingModel(user -> Flux.<org.springframework.ai.chat.model.ChatResponse>never()
                .doOnRequest(n -> asked.countDown()))); // requested: every operator is subscribed

        Disposable subscription = stream(client, "s1", "Hello?").subscribe();
        assertThat(asked.await(10, TimeUnit.SECONDS)).isTrue();
        subscription.dispose();

        List<StoredMessage> stored = stored("s1");
        assertThat(stored).extracting(StoredMessage::role).containsExactly(Role.USER, Role.ASSISTANT);
        assertStopped(stored.get(1), "");
    }

    /**
     * A completion on its way while the stream is cancelled: this source completes as it is
     * cancelled (a model thread that finishes while the client goes away), and nothing between it
     * and the aggregator drops the late completion (in a ChatClient an asynchronous boundary often
     * does, not always). Downstream is what {@code MessageChatMemoryAdvisor} puts there: Spring AI's
     * {@code ChatClientMessageAggregator}, adding the aggregated reply to the memory on completion.
     * Without the advisor's gate the completion reaches the aggregator after the cancel stored the
     * partial reply, and the reply is stored twice.
     */
    @Test
    void completionRacingTheCancel_storesOneReply() {
        Flux<ChatClientResponse> racy = Flux.from(subscriber -> subscriber.onSubscribe(new Subscription() {
            private int sent;
            private boolean ended;

            @Override
            public void request(long n) {
                for (long i = 0; i < n && sent < 2; i++) {
                    subscriber.onNext(ChatClientResponse.builder()
                            .chatResponse(StreamingModel.chunk(sent++ == 0 ? "Once" : " upon")).build());
                }
            }

            @Override
            public void cancel() {
                if (!ended) {
                    ended = true;
                    subscriber.onComplete(); // the completion already on its way
                }
            }
        }));
        StreamAdvisorChain chain = new StreamAdvisorChain() {
            @Override
            public Flux<ChatClientResponse> nextStream(ChatClientRequest request) {
                return racy;
            }

            @Override
            public List<StreamAdvisor> getStreamAdvisors() {
                return List.of();
            }

            /** Spring AI 2.x asks this. */
            public StreamAdvisorChain copy(StreamAdvisor after) {
                return this;
            }
        };
        ChatClientRequest request = ChatClientRequest.builder()
                .prompt(new Prompt("Tell me a story"))
                .context(Map.of(ChatMemory.CONVERSATION_ID, "s1"))
                .build();

        Flux<ChatClientResponse> advised = ConversationStoreStreamAdvisor.builder(memory).build()
                .adviseStream(request, chain);
        new ChatClientMessageAggregator().aggregateChatClientResponse(advised, aggregated -> memory.add("s1",
                        aggregated.chatResponse().getResults().stream().map(g -> (Message) g.getOutput()).toList()))
                .take(2)
                .blockLast();

        List<StoredMessage> stored = stored("s1");
        assertThat(stored).hasSize(1);
        assertStopped(stored.get(0), "Once upon");
    }

    /**
     * A streamed tool round run by the Spring AI 2.x client, then the answer's round stopped after
     * two chunks, the memory advisor inside the tool loop (as {@link SpringAiLine#client} puts it):
     * the call and its response are stored, in order, then the partial answer, once, marked
     * stopped. Spring AI 1.1 runs streamed tool rounds inside the model only (its ToolCallAdvisor
     * does not stream), so there this test is skipped.
     */
    @Test
    void streamedToolRoundThenAStoppedAnswer_keepsTheCallWithItsResponse() throws InterruptedException {
        assumeTrue(SpringAiLine.TWO, "Spring AI 1.1's ToolCallAdvisor does not stream: tool rounds run in the model");
        ChatClient client = SpringAiLine.client(StreamingModel.onPrompt(prompt -> {
                    List<Message> messages = prompt.getInstructions();
                    if (messages.get(messages.size() - 1) instanceof ToolResponseMessage) {
                        return Flux.concat(Flux.just(StreamingModel.chunk("It is"), StreamingModel.chunk(" sunny")),
                                Flux.never());
                    }
                    return Flux.just(StreamingModel.toolCall("call_1", "weather", "{\"city\":\"Paris\"}"));
                }), memory)
                .mutate()
                .defaultAdvisors(ConversationStoreStreamAdvisor.builder(memory).build())
                .build();
        CountDownLatch two = new CountDownLatch(2);

        Disposable subscription = client.prompt()
                .user("What is the weather in Paris?")
                .tools(new SpringAiLine.WeatherTools())
                .advisors(advisor -> advisor.param(ChatMemory.CONVERSATION_ID, "s1"))
                .stream()
                .content()
                .filter(chunk -> !chunk.isEmpty())
                .subscribe(chunk -> two.countDown());
        assertThat(two.await(10, TimeUnit.SECONDS)).isTrue();
        subscription.dispose();

        List<StoredMessage> stored = stored("s1");
        assertThat(stored).extracting(StoredMessage::role)
                .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
        assertThat(stored.get(1).message().toolCalls()).singleElement()
                .satisfies(call -> assertThat(call.callId()).isEqualTo("call_1"));
        assertThat(stored.get(2).message().toolResults()).singleElement()
                .satisfies(result -> assertThat(result.callId()).isEqualTo("call_1"));
        assertStopped(stored.get(stored.size() - 1), "It is sunny");
    }

    @Test
    void twoConcurrentStreamsOnTwoConversations_eachStoresItsOwnReply() {
        // both streams emit a chunk every few milliseconds, on the parallel scheduler, interleaved
        ChatClient client = client(new StreamingModel(user -> Flux.fromIterable(StreamingModel.chunksOf(
                        user + ":1", " " + user + ":2", " " + user + ":3", " " + user + ":4"))
                .delayElements(Duration.ofMillis(5), Schedulers.parallel())));

        Flux<String> a = stream(client, "a", "A");
        Flux<String> b = stream(client, "b", "B").take(2); // cancelled after its second chunk
        Flux.merge(a.subscribeOn(Schedulers.boundedElastic()), b.subscribeOn(Schedulers.boundedElastic()))
                .collectList().block(Duration.ofSeconds(30));

        assertThat(stored("a")).extracting(StoredMessage::text).containsExactly("A", "A:1 A:2 A:3 A:4");
        assertThat(stored("a").get(1).message().metadata()).doesNotContainEntry(io.github.conversationstore.Message.FINISH_REASON, TurnService.STOPPED);
        List<StoredMessage> b2 = stored("b");
        assertThat(b2).hasSize(2);
        assertStopped(b2.get(1), "B:1 B:2");
    }

    @Test
    void twoConcurrentStreamsOnOneConversation_bothRepliesStoredOnce() {
        ChatClient client = client(new StreamingModel(user -> Flux.fromIterable(StreamingModel.chunksOf(
                        user + ":1", " " + user + ":2", " " + user + ":3"))
                .delayElements(Duration.ofMillis(5), Schedulers.parallel())));

        Flux<String> a = stream(client, "s1", "A");
        Flux<String> b = stream(client, "s1", "B").take(1);
        Flux.merge(a.subscribeOn(Schedulers.boundedElastic()), b.subscribeOn(Schedulers.boundedElastic()))
                .collectList().block(Duration.ofSeconds(30));

        List<StoredMessage> stored = stored("s1");
        assertThat(stored).extracting(StoredMessage::text)
                .containsExactlyInAnyOrder("A", "B", "A:1 A:2 A:3", "B:1");
        StoredMessage stopped = stored.stream().filter(m -> m.text().equals("B:1")).findFirst().orElseThrow();
        assertStopped(stopped, "B:1");
    }

    /**
     * What Spring AI does alone (1.1 and 2.0): a stream cancelled or failed before it completed
     * leaves the user's message without an answer. This is why the stream advisor exists; if a
     * Spring AI release starts storing partial replies itself, this test says so (and the advisor
     * must then not store them a second time).
     */
    @Test
    void memoryAdvisorAlone_cancelledOrFailedStream_storesNoReply() {
        ChatClient cancelled = ChatClient.builder(StreamingModel.chunks("Once", " upon", " a", " time"))
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build())
                .build();
        stream(cancelled, "s1", "Tell me a story").take(2).collectList().block();
        ChatClient failing = ChatClient.builder(new StreamingModel(user -> Flux.concat(
                        Flux.just(StreamingModel.chunk("Once")), Flux.error(new IllegalStateException("reset")))))
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build())
                .build();
        assertThatThrownBy(() -> stream(failing, "s2", "Tell me a story").collectList().block());

        assertThat(stored("s1")).extracting(StoredMessage::role).containsExactly(Role.USER);
        assertThat(stored("s2")).extracting(StoredMessage::role).containsExactly(Role.USER);
    }

    /** A long stream costs one append for its reply, completed or cancelled: never one per chunk. */
    @Test
    void fiftyChunkStream_costsOneAppendForItsReply_completedOrCancelled() {
        AtomicInteger appends = new AtomicInteger();
        ConversationStore counted = new ForwardingConversationStore(store) {
            @Override
            public AppendResult appendMessages(AppendRequest request) {
                appends.incrementAndGet();
                return delegate.appendMessages(request);
            }
        };
        ChatMemory countedMemory = ConversationStoreChatMemory.builder(counted).build();
        String[] chunks = new String[50];
        for (int i = 0; i < chunks.length; i++) {
            chunks[i] = "w" + i + " ";
        }
        ChatClient client = ChatClient.builder(StreamingModel.chunks(chunks))
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(countedMemory).build(),
                        ConversationStoreStreamAdvisor.builder(countedMemory).build())
                .build();

        assertThat(stream(client, "whole", "Count to 50").collectList().block()).hasSize(50);
        assertThat(appends.getAndSet(0)).as("appends of a completed stream: the question, the reply").isEqualTo(2);
        assertThat(stream(client, "cut", "Count to 50").take(25).collectList().block()).hasSize(25);
        assertThat(appends.get()).as("appends of a stream cancelled after 25 chunks").isEqualTo(2);

        assertThat(stored("whole")).extracting(StoredMessage::text).containsExactly("Count to 50", String.join("", chunks));
        assertStopped(stored("cut").get(1), String.join("", java.util.Arrays.copyOf(chunks, 25)));
    }

    @Test
    void builder_refusesBadArguments() {
        assertThatThrownBy(() -> ConversationStoreStreamAdvisor.builder(null))
                .isInstanceOf(NullPointerException.class).hasMessage("chatMemory");
        assertThatThrownBy(() -> ConversationStoreStreamAdvisor.builder(memory).defaultConversationId(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("defaultConversationId must not be blank");
        assertThat(ConversationStoreStreamAdvisor.builder(memory).order(7).build().getOrder()).isEqualTo(7);
        assertThat(ConversationStoreStreamAdvisor.builder(memory).build().getOrder())
                .isEqualTo(ConversationStoreStreamAdvisor.DEFAULT_ORDER);
    }

    private static List<Throwable> causes(Throwable error) {
        List<Throwable> chain = new java.util.ArrayList<>();
        for (Throwable t = error; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        return chain;
    }
}
