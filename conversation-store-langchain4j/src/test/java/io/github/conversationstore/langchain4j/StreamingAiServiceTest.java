package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.TurnService;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A streaming AI service ({@code TokenStream}) with a fake streaming model and
 * {@link ConversationStoreTokenStream}: a streamed reply is stored once, whole when it completes,
 * its partial text marked stopped when it is stopped or fails; tool rounds keep their order and
 * pairing.
 *
 * <p>Without the wrapper, LangChain4j (1.19) stores nothing of a stopped or failed stream: its
 * {@code AiServiceStreamingResponseHandler} adds the AI message to the memory in
 * {@code onCompleteResponse} only, its {@code onError} calls the error handler and nothing else,
 * and a cancelled model calls nothing more.
 * {@link #withoutTheWrapper_stoppedOrFailedStream_storesNoReply()} shows it; each test of a stop
 * or an error below therefore fails without the wrapper.
 */
@Timeout(60)
class StreamingAiServiceTest {

    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    private static ConversationStoreChatMemoryProvider memories(ConversationStore store) {
        return ConversationStoreChatMemoryProvider.builder().store(store).language("en").build();
    }

    /** Asks for a story of a model that stalls after "Once upon", waits for the two chunks, stops the stream. */
    private static ConversationStoreTokenStream storyStoppedAfterTwoChunks(ChatMemoryProvider memories)
            throws InterruptedException {
        StreamingScript model = new StreamingScript(request -> StreamingScript.Reply.stall("Once", " upon"));
        CountDownLatch two = new CountDownLatch(2);
        ConversationStoreTokenStream stream = ConversationStoreTokenStream.of(
                assistant(model, memories).chat("s1", "Tell me a story"), memories.get("s1"));
        stream.onPartialResponse(chunk -> two.countDown()).onError(error -> { }).start();
        await(two);
        stream.stop();
        return stream;
    }

    private static StreamingScript.Assistant assistant(dev.langchain4j.model.chat.StreamingChatModel model,
            ChatMemoryProvider memories,
            Object... tools) {
        AiServices<StreamingScript.Assistant> builder = AiServices.builder(StreamingScript.Assistant.class)
                .streamingChatModel(model)
                .chatMemoryProvider(memories);
        if (tools.length > 0) {
            builder.tools(tools);
        }
        return builder.build();
    }

    private static void assertStopped(StoredMessage message, String text) {
        assertThat(message.role()).isEqualTo(Role.ASSISTANT);
        assertThat(message.text()).isEqualTo(text);
        assertThat(message.message().metadata()).containsEntry(Message.FINISH_REASON, TurnService.STOPPED);
        assertThat(message.message().toolCalls()).isEmpty();
    }

    private static void await(CountDownLatch latch) throws InterruptedException {
        assertThat(latch.await(30, TimeUnit.SECONDS)).as("the stream's end within 30 s").isTrue();
    }

    /**
     * LangChain4j alone stores a completed stream once too: this test guards the wrapper (which
     * must leave a completed stream to LangChain4j), it does not fail without it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void completedStream_storesTheWholeReplyOnce(Stores.Kind kind) throws InterruptedException {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryProvider memories = memories(store);
            StreamingScript model = new StreamingScript(request -> StreamingScript.Reply.text("Hola", ", ¿qué", " tal?"));
            CountDownLatch done = new CountDownLatch(1);
            StringBuilder shown = new StringBuilder();

            ConversationStoreTokenStream.of(assistant(model, memories).chat("s1", "Say hello"), memories.get("s1"))
                    .onPartialResponse(shown::append)
                    .onCompleteResponse(response -> done.countDown())
                    .onError(error -> done.countDown())
                    .start();
            await(done);

            assertThat(shown).hasToString("Hola, ¿qué tal?");
            List<StoredMessage> stored = store.readMessages("s1", 0, 100);
            assertThat(stored).extracting(StoredMessage::text).containsExactly("Say hello", "Hola, ¿qué tal?");
            assertThat(stored.get(1).message().metadata()).doesNotContainKey(Message.FINISH_REASON);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void cancelledThroughTheHandleAfterTwoChunks_storesThePartialReplyOnceMarkedStopped(Stores.Kind kind)
            throws InterruptedException {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryProvider memories = memories(store);
            StreamingScript model = new StreamingScript(request -> StreamingScript.Reply.text("Once", " upon", " a", " time"));
            CountDownLatch stopped = new CountDownLatch(1);
            StringBuilder shown = new StringBuilder();

            ConversationStoreTokenStream.of(assistant(model, memories).chat("s1", "Tell me a story"), memories.get("s1"))
                    .onPartialResponseWithContext((chunk, context) -> {
                        shown.append(chunk.text());
                        if (shown.length() == "Once upon".length()) {
                            context.streamingHandle().cancel(); // on the model's thread, as LangChain4j shows it
                            context.streamingHandle().cancel(); // twice: still one reply
                            stopped.countDown();
                        }
                    })
                    .onError(error -> { })
                    .start();
            await(stopped);

            assertThat(shown).hasToString("Once upon");
            List<StoredMessage> stored = store.readMessages("s1", 0, 100);
            assertThat(stored).hasSize(2);
            assertThat(stored.get(0).text()).isEqualTo("Tell me a story");
            assertStopped(stored.get(1), "Once upon");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void stoppedFromAnotherThreadWhileTheModelStalls_storesThePartialReplyBeforeStopReturns(Stores.Kind kind)
            throws InterruptedException {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryProvider memories = memories(store);
            ConversationStoreTokenStream stream = storyStoppedAfterTwoChunks(memories);

            List<StoredMessage> stored = store.readMessages("s1", 0, 100);
            assertThat(stored).hasSize(2);
            assertStopped(stored.get(1), "Once upon");
            stream.stop(); // idempotent
            assertThat(store.readMessages("s1", 0, 100)).hasSize(2);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void errorMidStream_storesThePartialReplyMarkedStopped_beforeTheErrorHandler(Stores.Kind kind)
            throws InterruptedException {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryProvider memories = memories(store);
            StreamingScript model = new StreamingScript(request -> StreamingScript.Reply.fail(
                    new IllegalStateException("connection reset by the model"), "Once", " upon"));
            CountDownLatch failed = new CountDownLatch(1);
            AtomicReference<Throwable> error = new AtomicReference<>();
            AtomicReference<List<StoredMessage>> storedAtError = new AtomicReference<>();

            ConversationStoreTokenStream.of(assistant(model, memories).chat("s1", "Tell me a story"), memories.get("s1"))
                    .onPartialResponse(chunk -> { })
                    .onError(e -> {
                        error.set(e);
                        storedAtError.set(store.readMessages("s1", 0, 100));
                        failed.countDown();
                    })
                    .start();
            await(failed);

            assertThat(error.get()).hasMessage("connection reset by the model");
            assertThat(storedAtError.get()).hasSize(2);
            assertStopped(storedAtError.get().get(1), "Once upon");
            assertThat(store.readMessages("s1", 0, 100)).hasSize(2);
        }
    }

    /** A tool the model asks for; it may wait for a latch, to stop the stream while it runs. */
    static final class Weather {
        final CountDownLatch release;

        Weather(CountDownLatch release) {
            this.release = release;
        }

        @Tool("Current weather for a city")
        public String weather(@P(name = "city", description = "the city") String city) throws InterruptedException {
            release.await(30, TimeUnit.SECONDS);
            return "sunny in " + city;
        }
    }

    private static StreamingScript toolModel(StreamingScript.Reply afterTools) {
        return new StreamingScript(request -> StreamingScript.afterTools(request) ? afterTools
                : StreamingScript.Reply.toolCall(ToolExecutionRequest.builder().id("call-1").name("weather")
                        .arguments("{\"city\":\"Paris\"}").build(), "Let me check. "));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void stoppedInTheRoundAfterATool_keepsTheToolRoundInOrderAndStoresThatRoundsTextOnly(Stores.Kind kind)
            throws InterruptedException {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryProvider memories = memories(store);
            StreamingScript model = toolModel(StreamingScript.Reply.stall("It is", " sunny"));
            CountDownLatch secondRound = new CountDownLatch(1);
            StringBuilder shown = new StringBuilder();

            ConversationStoreTokenStream stream = ConversationStoreTokenStream.of(
                    assistant(model, memories, new Weather(new CountDownLatch(0))).chat("s1", "Weather in Paris?"),
                    memories.get("s1"));
            stream.onPartialResponse(chunk -> {
                shown.append(chunk);
                if (shown.toString().endsWith(" sunny")) {
                    secondRound.countDown();
                }
            }).onError(error -> { }).start();
            await(secondRound);
            stream.stop();

            assertThat(shown).hasToString("Let me check. It is sunny");
            List<StoredMessage> stored = store.readMessages("s1", 0, 100);
            assertThat(stored).extracting(StoredMessage::role)
                    .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
            assertThat(stored.get(1).message().toolCalls()).singleElement()
                    .satisfies(call -> assertThat(call.callId()).isEqualTo("call-1"));
            assertThat(stored.get(2).message().toolResults()).singleElement()
                    .satisfies(result -> {
                        assertThat(result.callId()).isEqualTo("call-1");
                        assertThat(result.content()).isEqualTo("sunny in Paris");
                    });
            // the first round's text is stored with its tool call, not again in the partial reply
            assertThat(stored.get(1).text()).isEqualTo("Let me check. ");
            assertStopped(stored.get(3), "It is sunny");
            // the next request's window is a valid history: the call with its result, then the reply
            List<ChatMessage> window = memories.get("s1").messages();
            assertThat(window).hasSize(4);
            assertThat(((AiMessage) window.get(3)).attributes()).containsEntry("finishReason", "stopped");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void stoppedWhileAToolRuns_takesEffectAtTheNextRoundsFirstChunk(Stores.Kind kind) throws InterruptedException {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryProvider memories = memories(store);
            StreamingScript model = toolModel(StreamingScript.Reply.text("It is", " sunny", " in Paris."));
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch calling = new CountDownLatch(1);
            StringBuilder shown = new StringBuilder();

            ConversationStoreTokenStream stream = ConversationStoreTokenStream.of(
                    assistant(model, memories, new Weather(release)).chat("s1", "Weather in Paris?"), memories.get("s1"));
            stream.onPartialResponse(shown::append)
                    .beforeToolExecution(before -> calling.countDown())
                    .onError(error -> { })
                    .start();
            await(calling);
            stream.stop(); // the tool runs: no round streams
            assertThat(store.readMessages("s1", 0, 100)).extracting(StoredMessage::role).containsExactly(Role.USER);
            release.countDown();

            waitFor(() -> store.readMessages("s1", 0, 100).size() == 4);
            List<StoredMessage> stored = store.readMessages("s1", 0, 100);
            assertThat(stored).extracting(StoredMessage::role)
                    .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
            assertStopped(stored.get(3), "");
            assertThat(shown).hasToString("Let me check. "); // the round after the stop is never shown
            Thread.sleep(100); // the model was cancelled: it adds nothing more
            assertThat(store.readMessages("s1", 0, 100)).hasSize(4);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void twoConcurrentStreamsOnTwoConversations_eachStoresItsOwnReply(Stores.Kind kind) throws InterruptedException {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryProvider memories = memories(store);
            String a = "A";
            String b = "B";
            StreamingScript model = new StreamingScript(request -> {
                String user = StreamingScript.lastUserText(request);
                return user.equals(a) ? StreamingScript.Reply.text("A1", " A2", " A3")
                        : StreamingScript.Reply.stall("B1", " B2");
            });
            StreamingScript.Assistant assistant = assistant(model, memories);
            CountDownLatch aDone = new CountDownLatch(1);
            CountDownLatch bTwo = new CountDownLatch(2);

            ConversationStoreTokenStream first = ConversationStoreTokenStream.of(assistant.chat("a", a), memories.get("a"));
            ConversationStoreTokenStream second = ConversationStoreTokenStream.of(assistant.chat("b", b), memories.get("b"));
            first.onPartialResponse(chunk -> { }).onCompleteResponse(r -> aDone.countDown()).onError(e -> { });
            second.onPartialResponse(chunk -> bTwo.countDown()).onError(e -> { });
            CompletableFuture.allOf(CompletableFuture.runAsync(first::start), CompletableFuture.runAsync(second::start))
                    .join();
            await(aDone);
            await(bTwo);
            second.stop();
            first.stop(); // completed: stores nothing

            assertThat(store.readMessages("a", 0, 100)).extracting(StoredMessage::text).containsExactly("A", "A1 A2 A3");
            List<StoredMessage> stored = store.readMessages("b", 0, 100);
            assertThat(stored).hasSize(2);
            assertStopped(stored.get(1), "B1 B2");
        }
    }

    /**
     * A completion already on its way when {@code stop()} is called: this model completes as it is
     * cancelled. Without the guard LangChain4j adds the whole reply after the partial one (the test
     * {@code withoutTheGuard_...} below shows it); behind the guard the stop wins and the completion
     * never reaches LangChain4j.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void completionOnItsWayWhenStopped_behindTheGuard_storesOneReply(Stores.Kind kind) throws InterruptedException {
        try (ConversationStore store = kind.open()) {
            assertThat(racingStop(store, true)).extracting(StoredMessage::role).containsExactly(Role.USER, Role.ASSISTANT);
            assertStopped(store.readMessages("s1", 0, 100).get(1), "Once upon");
        }
    }

    @Test
    void completionOnItsWayWhenStopped_withoutTheGuard_storesTheReplyTwice() throws InterruptedException {
        try (ConversationStore store = Stores.all().findFirst().orElseThrow().open()) {
            // the limit the guard removes: the partial reply, then the whole one
            assertThat(racingStop(store, false)).extracting(StoredMessage::text)
                    .containsExactly("Tell me a story", "Once upon", "Once upon");
        }
    }

    private static List<StoredMessage> racingStop(ConversationStore store, boolean guarded) throws InterruptedException {
        ConversationStoreChatMemoryProvider memories = memories(store);
        StreamingScript model = new StreamingScript(request -> StreamingScript.Reply.stall("Once", " upon"));
        model.completesWhenCancelled = true;
        StreamingScript.Assistant assistant = AiServices.builder(StreamingScript.Assistant.class)
                .streamingChatModel(guarded ? ConversationStoreTokenStream.guard(model) : model)
                .chatMemoryProvider(memories)
                .build();
        CountDownLatch two = new CountDownLatch(2);
        ConversationStoreTokenStream stream = ConversationStoreTokenStream.of(
                assistant.chat("s1", "Tell me a story"), memories.get("s1"));
        stream.onPartialResponse(chunk -> two.countDown()).onError(error -> { }).start();
        await(two);
        stream.stop();
        return store.readMessages("s1", 0, 100);
    }

    /**
     * The other order of the race: the completion is being stored when {@code stop()} is called
     * (from another thread, while LangChain4j adds the reply). Behind the guard the completion
     * wins: the stop stores nothing, and the whole reply is stored once.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void stopWhileTheCompletionIsStored_behindTheGuard_storesTheWholeReplyOnce(Stores.Kind kind)
            throws InterruptedException {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryProvider memories = memories(store);
            AtomicReference<ConversationStoreTokenStream> streamRef = new AtomicReference<>();
            // the AI service's memory: when LangChain4j adds the completed reply, the user presses stop
            ChatMemoryProvider stopping = id -> new StoppingMemory(memories.get(id), streamRef);
            StreamingScript model = new StreamingScript(request -> StreamingScript.Reply.text("Once", " upon"));
            StreamingScript.Assistant assistant = AiServices.builder(StreamingScript.Assistant.class)
                    .streamingChatModel(ConversationStoreTokenStream.guard(model))
                    .chatMemoryProvider(stopping)
                    .build();
            CountDownLatch done = new CountDownLatch(1);
            ConversationStoreTokenStream stream = ConversationStoreTokenStream.of(
                    assistant.chat("s1", "Tell me a story"), memories.get("s1"));
            streamRef.set(stream);
            stream.onPartialResponse(chunk -> { }).onCompleteResponse(response -> done.countDown())
                    .onError(error -> { }).start();
            await(done);

            List<StoredMessage> stored = store.readMessages("s1", 0, 100);
            assertThat(stored).extracting(StoredMessage::text).containsExactly("Tell me a story", "Once upon");
            assertThat(stored.get(1).message().metadata()).doesNotContainKey(Message.FINISH_REASON);
        }
    }

    /** A memory that, when an AI message without tool requests is added, has another thread call stop() first. */
    private static final class StoppingMemory implements dev.langchain4j.memory.ChatMemory {
        private final dev.langchain4j.memory.ChatMemory memory;
        private final AtomicReference<ConversationStoreTokenStream> stream;

        StoppingMemory(dev.langchain4j.memory.ChatMemory memory, AtomicReference<ConversationStoreTokenStream> stream) {
            this.memory = memory;
            this.stream = stream;
        }

        @Override
        public Object id() {
            return memory.id();
        }

        @Override
        public void add(ChatMessage message) {
            if (message instanceof AiMessage ai && !ai.hasToolExecutionRequests()) {
                Thread stopper = new Thread(() -> stream.get().stop());
                stopper.start();
                try {
                    stopper.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            memory.add(message);
        }

        @Override
        public List<ChatMessage> messages() {
            return memory.messages();
        }

        @Override
        public void clear() {
            memory.clear();
        }
    }

    /**
     * A model that only calls {@code onPartialResponse(String)} cannot be cancelled (LangChain4j
     * hands out a handle that refuses): {@code stop()} says so, stores nothing, and the reply goes
     * on to be stored whole, once.
     */
    @Test
    void modelThatCannotCancel_stopThrows_andTheWholeReplyIsStoredOnce() throws InterruptedException {
        try (ConversationStore store = Stores.all().findFirst().orElseThrow().open()) {
            ConversationStoreChatMemoryProvider memories = memories(store);
            CountDownLatch release = new CountDownLatch(1);
            dev.langchain4j.model.chat.StreamingChatModel legacy = new dev.langchain4j.model.chat.StreamingChatModel() {
                @Override
                public void doChat(dev.langchain4j.model.chat.request.ChatRequest request,
                        dev.langchain4j.model.chat.response.StreamingChatResponseHandler handler) {
                    Thread thread = new Thread(() -> {
                        handler.onPartialResponse("Once");
                        try {
                            release.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        handler.onPartialResponse(" upon");
                        handler.onCompleteResponse(dev.langchain4j.model.chat.response.ChatResponse.builder()
                                .aiMessage(AiMessage.from("Once upon")).build());
                    });
                    thread.setDaemon(true);
                    thread.start();
                }
            };
            CountDownLatch first = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            StringBuilder shown = new StringBuilder();
            ConversationStoreTokenStream stream = ConversationStoreTokenStream.of(
                    assistant(legacy, memories).chat("s1", "Tell me a story"), memories.get("s1"));
            stream.onPartialResponse(chunk -> {
                shown.append(chunk);
                first.countDown();
            }).onCompleteResponse(response -> done.countDown()).onError(error -> { }).start();
            await(first);

            assertThatThrownBy(stream::stop).isInstanceOf(dev.langchain4j.exception.UnsupportedFeatureException.class);
            assertThat(store.readMessages("s1", 0, 100)).hasSize(1);
            release.countDown();
            await(done);

            assertThat(shown).hasToString("Once upon");
            assertThat(store.readMessages("s1", 0, 100)).extracting(StoredMessage::text)
                    .containsExactly("Tell me a story", "Once upon");
        }
    }

    /** A long stream costs one append for its reply, completed or stopped: never one per chunk. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void fiftyChunkStream_costsOneAppendForItsReply_completedOrStopped(Stores.Kind kind) throws InterruptedException {
        try (ConversationStore store = kind.open()) {
            FlakyStore counted = new FlakyStore(store); // no lost replies: it records each append
            ConversationStoreChatMemoryProvider memories = memories(counted);
            String[] chunks = new String[50];
            for (int i = 0; i < chunks.length; i++) {
                chunks[i] = "w" + i + " ";
            }
            StreamingScript model = new StreamingScript(request -> StreamingScript.Reply.text(chunks));
            StreamingScript.Assistant assistant = assistant(model, memories);
            CountDownLatch done = new CountDownLatch(2);

            ConversationStoreTokenStream.of(assistant.chat("whole", "Count to 50"), memories.get("whole"))
                    .onPartialResponse(chunk -> { })
                    .onCompleteResponse(response -> done.countDown())
                    .onError(error -> { })
                    .start();
            ConversationStoreTokenStream.of(assistant.chat("cut", "Count to 50"), memories.get("cut"))
                    .onPartialResponseWithContext((chunk, context) -> {
                        if (chunk.text().equals("w24 ")) {
                            context.streamingHandle().cancel();
                            done.countDown();
                        }
                    })
                    .onError(error -> { })
                    .start();
            await(done);

            assertThat(counted.results).as("appends: each question, each reply").hasSize(4);
            assertThat(store.readMessages("whole", 0, 100)).extracting(StoredMessage::text)
                    .containsExactly("Count to 50", String.join("", chunks));
            assertStopped(store.readMessages("cut", 0, 100).get(1), String.join("", java.util.Arrays.copyOf(chunks, 25)));
        }
    }

    /** The wrapper writes through any memory: here LangChain4j's MessageWindowChatMemory on this module's store. */
    @Test
    void throughMessageWindowChatMemory_thePartialReplyIsStoredMarkedStopped() throws InterruptedException {
        try (ConversationStore store = Stores.all().findFirst().orElseThrow().open()) {
            ConversationStoreChatMemoryStore memoryStore = ConversationStoreChatMemoryStore.builder().store(store).build();
            ChatMemoryProvider memories = id -> MessageWindowChatMemory.builder().id(id).maxMessages(20)
                    .chatMemoryStore(memoryStore).build();
            ConversationStoreTokenStream stream = storyStoppedAfterTwoChunks(memories);

            List<StoredMessage> stored = store.readMessages("s1", 0, 100);
            assertThat(stored).hasSize(2);
            assertStopped(stored.get(1), "Once upon");
        }
    }

    /**
     * What LangChain4j does alone: a stream cancelled through its handle, or failed, leaves the
     * user's message without an answer. This is why the wrapper exists; if a LangChain4j release
     * starts storing partial replies itself, this test says so (and the wrapper must then not store
     * them a second time).
     */
    @Test
    void withoutTheWrapper_stoppedOrFailedStream_storesNoReply() throws InterruptedException {
        try (ConversationStore store = Stores.all().findFirst().orElseThrow().open()) {
            ConversationStoreChatMemoryProvider memories = memories(store);
            StreamingScript model = new StreamingScript(request -> StreamingScript.lastUserText(request).equals("stop")
                    ? StreamingScript.Reply.text("Once", " upon", " a", " time")
                    : StreamingScript.Reply.fail(new IllegalStateException("reset"), "Once"));
            StreamingScript.Assistant assistant = assistant(model, memories);
            CountDownLatch ended = new CountDownLatch(2);

            TokenStream stopped = assistant.chat("s1", "stop");
            stopped.onPartialResponseWithContext((chunk, context) -> {
                context.streamingHandle().cancel();
                ended.countDown();
            }).onError(error -> { }).start();
            assistant.chat("s2", "fail").onPartialResponse(chunk -> { }).onError(error -> ended.countDown()).start();
            await(ended);
            Thread.sleep(100);

            assertThat(store.readMessages("s1", 0, 100)).extracting(StoredMessage::role).containsExactly(Role.USER);
            assertThat(store.readMessages("s2", 0, 100)).extracting(StoredMessage::role).containsExactly(Role.USER);
        }
    }

    @Test
    void badUse_isRefusedWithTheRule() {
        try (ConversationStore store = Stores.all().findFirst().orElseThrow().open()) {
            ConversationStoreChatMemoryProvider memories = memories(store);
            StreamingScript model = new StreamingScript(request -> StreamingScript.Reply.text("x"));
            TokenStream tokens = assistant(model, memories).chat("s1", "hi");
            assertThatThrownBy(() -> ConversationStoreTokenStream.of(null, memories.get("s1")))
                    .isInstanceOf(NullPointerException.class).hasMessage("stream");
            assertThatThrownBy(() -> ConversationStoreTokenStream.of(tokens, null))
                    .isInstanceOf(NullPointerException.class).hasMessage("memory");
            ConversationStoreTokenStream stream = ConversationStoreTokenStream.of(tokens, memories.get("s1"));
            assertThatThrownBy(stream::stop).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("stop() before start()");
            assertThatThrownBy(stream.onPartialResponse(chunk -> { })::start).isInstanceOf(IllegalStateException.class)
                    .hasMessage("call exactly one of onError and ignoreErrors before start()");
            stream.onPartialResponseWithContext((chunk, context) -> { }).onError(error -> { });
            assertThatThrownBy(stream::start).isInstanceOf(IllegalStateException.class)
                    .hasMessage("set one of onPartialResponse and onPartialResponseWithContext, not both");
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 30 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }
}
