package io.github.conversationstore.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.ReplyFailedException;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.TurnResult;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import io.github.conversationstore.spi.StoreListener;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolInvocation;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * The javadoc examples of the turn service and the SPI, compiled and run against the in-memory
 * store and the embedded MongoDB server. The regions are shown in the javadoc;
 * {@code JavadocSnippetsTest} keeps the two equal.
 */
class TurnExamplesTest {

    /** {@code TurnService}: a turn, and its retry that stores nothing new. */
    @Test
    void turnService_respondAndRetry() {
        try (EmbeddedMongo server = new EmbeddedMongo();
                ConversationStore store = MongoConversationStore.builder()
                        .connectionString(server.connectionString()).database("tutor").build()) {
            ReplyProvider provider = request -> Reply.of("Son las tres.");
            // @start region="turn-service"
            TurnService turns = TurnService.builder(store)
                    .provider(provider)                   // your language model: see the spi package
                    .replyTimeout(Duration.ofSeconds(30)) // per attempt; retryable failures are retried
                    .windowMessages(20)                   // the last 20 messages go with the user's
                    .build();                             // one per application: close it when it stops

            TurnResult turn = turns.respond("session-42", "es", "¿Qué hora es?", "turn-8");
            String reply = turn.reply().text();

            // A retry with the same turn id (a timeout, a double click, another process) stores nothing
            TurnResult again = turns.respond("session-42", "es", "¿Qué hora es?", "turn-8");
            // again.replayed() is true, and again.reply() is turn.reply()
            // @end
            try (turns) {
                assertThat(reply).isEqualTo("Son las tres.");
                assertThat(turn.replayed()).isFalse();
                assertThat(again.replayed()).isTrue();
                assertThat(again.reply()).isEqualTo(turn.reply());
                assertThat(store.readMessages("session-42", 0, 10)).extracting(StoredMessage::text)
                        .containsExactly("¿Qué hora es?", "Son las tres.");
            }
        }
    }

    /** A booking system that applies a request once per key. */
    static final class Calendar {
        final Map<String, String> bookings = new ConcurrentHashMap<>();

        String book(String key, String arguments) {
            return bookings.computeIfAbsent(key, k -> "lesson-" + (bookings.size() + 1));
        }
    }

    /** {@code Tool}: a tool the model calls during a turn, applied once however often it runs. */
    @Test
    void tool_calledDuringATurn() {
        Calendar calendar = new Calendar();
        ReplyProvider model = request -> request.steps().isEmpty()
                ? Reply.of(Part.text("Booking it."), new Part.ToolCall("call-1", "book_lesson", "{\"day\":\"monday\"}"))
                : Reply.of("Booked: " + request.steps().get(1).message().toolResults().get(0).content());
        try (ConversationStore store = InMemoryConversationStore.create()) {
            // @start region="tool"
            Tool bookLesson = Tool.of(
                    new ToolSpec("book_lesson", "Books a lesson with the tutor on a weekday.",
                            "{\"type\":\"object\",\"properties\":{\"day\":{\"type\":\"string\"}},\"required\":[\"day\"]}"),
                    call -> {
                        // at least once per call: the key lets the calendar apply a call run again once
                        String booking = calendar.book(call.idempotencyKey(), call.arguments());
                        return ToolOutput.json("{\"booking\":\"" + booking + "\"}");
                    });
            TurnService turns = TurnService.builder(store)
                    .provider(model)                     // asks for tools, then answers
                    .tools(bookLesson)
                    .toolTimeout(Duration.ofSeconds(10)) // per run; retried with the same key
                    .build();
            // @end
            try (turns) {
                TurnResult turn = turns.respond("session-42", "en", "Book me a lesson on Monday", "turn-9");

                assertThat(turn.reply().text()).isEqualTo("Booked: {\"booking\":\"lesson-1\"}");
                assertThat(turn.steps()).hasSize(2);
                // run again with the same call: the calendar books once
                ToolOutput again = bookLesson.run(new ToolInvocation("session-42", "turn-9", 1, "call-1", "book_lesson",
                        "{\"day\":\"monday\"}", 2));
                assertThat(again.content()).isEqualTo("{\"booking\":\"lesson-1\"}");
                assertThat(calendar.bookings).containsOnlyKeys("turn-9:s1:call-1");
            }
        }
    }

    /** The application's client of its language model, as the provider example uses it. */
    interface LanguageModel {
        String name();

        String complete(List<Message> conversation) throws TimeoutException;
    }

    // @start region="reply-provider"
    // Asks the application's language model for the reply
    final class TutorProvider implements ReplyProvider {
        private final LanguageModel model;

        TutorProvider(LanguageModel model) {
            this.model = model;
        }

        @Override
        public Reply reply(ReplyRequest request) {
            try {
                // the window, the user's message, then the turn's tool steps, oldest first
                String text = model.complete(request.conversation());
                return Reply.of(text).withModel(model.name());
            } catch (TimeoutException e) {
                throw new ReplyProviderException("the model did not answer in time", true, e); // retried
            }
        }
    }
    // @end

    /** {@code ReplyProvider}: the provider sees the conversation; a retryable failure is retried. */
    @Test
    void replyProvider_seesTheConversationAndIsRetried() {
        AtomicInteger calls = new AtomicInteger();
        List<List<String>> seen = new ArrayList<>();
        LanguageModel model = new LanguageModel() {
            @Override
            public String name() {
                return "tutor-1";
            }

            @Override
            public String complete(List<Message> conversation) throws TimeoutException {
                seen.add(conversation.stream().map(Message::text).toList());
                if (calls.incrementAndGet() == 1) {
                    throw new TimeoutException();
                }
                return "Lima.";
            }
        };
        try (ConversationStore store = InMemoryConversationStore.create();
                TurnService turns = TurnService.builder(store).provider(new TutorProvider(model))
                        .maxProviderAttempts(2).retryBackoff(Duration.ofMillis(1)).build()) {
            store.appendMessages("session-42", "en", List.of(Message.user("Hi"), Message.assistant("Hello!")));

            TurnResult turn = turns.respond("session-42", "en", "What is the capital of Peru?", "turn-1");

            assertThat(turn.reply().text()).isEqualTo("Lima.");
            assertThat(turn.reply().message().metadata()).containsEntry(Message.MODEL, "tutor-1");
            assertThat(calls).hasValue(2);
            assertThat(seen.get(1)).containsExactly("Hi", "Hello!", "What is the capital of Peru?");
        }
        try (ConversationStore store = InMemoryConversationStore.create();
                TurnService turns = TurnService.builder(store).provider(new TutorProvider(new LanguageModel() {
                    @Override
                    public String name() {
                        return "tutor-1";
                    }

                    @Override
                    public String complete(List<Message> conversation) throws TimeoutException {
                        throw new TimeoutException();
                    }
                })).maxProviderAttempts(2).retryBackoff(Duration.ofMillis(1)).build()) {
            assertThatThrownBy(() -> turns.respond("session-42", "en", "Hi", "turn-1"))
                    .isInstanceOf(ReplyFailedException.class);
        }
    }

    /** {@code StoreListener}: one listener on the store and on the turn service. */
    @Test
    void storeListener_hearsAppendsAndProviderCalls() {
        LongAdder duplicates = new LongAdder();
        LongAdder outputTokens = new LongAdder();
        ReplyProvider provider = request -> Reply.of("Hola.").withUsage(new TokenUsage(12, 3));
        // @start region="store-listener"
        StoreListener listener = new StoreListener() {
            @Override
            public void onAppend(Append event) {
                if (event.duplicate()) {
                    duplicates.increment(); // a repeated append id: nothing was written
                }
            }

            @Override
            public void onProviderCall(ProviderCall event) {
                outputTokens.add(event.usage().outputTokens());
            }
        };
        ConversationStore store = InMemoryConversationStore.builder().listener(listener).build();
        TurnService turns = TurnService.builder(store).provider(provider).listener(listener).build();
        // @end
        try (store; turns) {
            turns.respond("session-42", "es", "Hola", "turn-1");
            AppendRequest request = AppendRequest.builder("session-42", "es")
                    .appendId("request-1").messages(Message.user("¿Y tú?")).build();
            store.appendMessages(request);
            store.appendMessages(request);

            assertThat(duplicates.sum()).isEqualTo(1);
            assertThat(outputTokens.sum()).isEqualTo(3);
        }
    }
}
