package io.github.conversationstore.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.Part;
import io.github.conversationstore.TurnResult;
import io.github.conversationstore.TurnService;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.StoreListener;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import io.github.conversationstore.testing.LogCapture;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Review 3: the listener SPI's "a listener that throws never breaks an operation", and "every
 * TurnStart is followed by its Turn" (which the OpenTelemetry binding's thread-local scope and the
 * Micrometer binding's long task timer rely on).
 */
class ListenerAndTurnEndTest {

    /** Throws {@code t} whatever its type, as Kotlin, Groovy or Lombok's {@code @SneakyThrows} code does. */
    @SuppressWarnings("unchecked")
    static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }

    /**
     * A listener written in Kotlin (no checked exceptions) that lets an IOException out, say from
     * writing to a socket-backed exporter. The append is stored, but the caller gets the IOException.
     */
    @Test
    void listenerThrowingACheckedException_breaksTheAppend() {
        StoreListener kotlinLike = new StoreListener() {
            @Override
            public void onAppend(Append event) {
                throw sneaky(new IOException("exporter socket closed"));
            }
        };
        try (LogCapture logs = LogCapture.start()) {
            InMemoryConversationStore store = InMemoryConversationStore.builder().listener(kotlinLike).build();
            assertThatCode(() -> store.appendMessages("s", "es", List.of(Message.user("hola"))))
                    .as("a listener that throws never breaks an operation")
                    .doesNotThrowAnyException();
            assertThat(logs.lines()).anyMatch(l -> l.startsWith("WARNING") && l.contains("IOException"));
        }
    }

    /** The same with an AssertionError (an `assert` or a test double's failure inside a listener). */
    @Test
    void listenerThrowingAnAssertionError_breaksTheAppend() {
        StoreListener asserting = new StoreListener() {
            @Override
            public void onAppend(Append event) {
                throw new AssertionError("listener invariant");
            }
        };
        InMemoryConversationStore store = InMemoryConversationStore.builder().listener(asserting).build();
        assertThatCode(() -> store.appendMessages("s", "es", List.of(Message.user("hola"))))
                .as("a listener that throws never breaks an operation")
                .doesNotThrowAnyException();
    }

    /**
     * A turn that completed (both messages stored) is reported to its caller as failed because a
     * listener threw a checked exception from onTurn; the next retry replays it.
     */
    @Test
    void listenerThrowingACheckedExceptionFromOnTurn_failsACompletedTurn() {
        StoreListener kotlinLike = new StoreListener() {
            @Override
            public void onTurn(Turn event) {
                throw sneaky(new IOException("exporter socket closed"));
            }
        };
        InMemoryConversationStore store = InMemoryConversationStore.create();
        try (TurnService turns = TurnService.builder(store).provider(r -> Reply.of("hi")).listener(kotlinLike).build()) {
            assertThatCode(() -> turns.respond("s", "es", "hola", "t1"))
                    .as("a listener that throws never breaks a turn")
                    .doesNotThrowAnyException();
        }
    }

    /**
     * A listener that throws (checked) from onAppend, on the store: inside a turn, the user's
     * message append "fails", the turn throws, and no Turn event follows the TurnStart that the
     * other listeners (the OpenTelemetry binding) already acted on.
     */
    @Test
    void listenerThrowingFromOnAppendInsideATurn_leavesTheTurnStartWithoutItsTurn() {
        Recorder recorder = new Recorder();
        StoreListener kotlinLike = new StoreListener() {
            @Override
            public void onAppend(Append event) {
                throw sneaky(new IOException("exporter socket closed"));
            }
        };
        InMemoryConversationStore store = InMemoryConversationStore.builder().listener(kotlinLike).build();
        try (TurnService turns = TurnService.builder(store).provider(r -> Reply.of("hi")).listener(recorder).build()) {
            try {
                turns.respond("s", "es", "hola", "t1");
            } catch (Throwable ignored) {
                // the failure itself is the previous tests' point
            }
        }
        assertThat(recorder.turnEnds.get())
                .as("every TurnStart is followed by a Turn (started %d)", recorder.turnStarts.get())
                .isEqualTo(recorder.turnStarts.get());
    }

    /**
     * Model output crashes the turn: tool-call arguments are the model's text, checked on the
     * turn's thread with {@code BsonDocument.parse}, which recurses once per nesting level. Deeply
     * nested arguments (about 100 KB, well within the message limits) overflow the stack: the turn
     * throws a StackOverflowError instead of storing the error result the model should read
     * ("arguments that are not a JSON object" are documented to become an error result), the lease is
     * released but no Turn event is sent, the provider's reply stays stored with an unanswered call.
     */
    @Test
    void deeplyNestedToolArguments_crashTheTurnWithStackOverflowAndNoTurnEvent() {
        StringBuilder args = new StringBuilder();
        int depth = 20_000;
        for (int i = 0; i < depth; i++) {
            args.append("{\"a\":");
        }
        args.append("1");
        args.append("}".repeat(depth));
        String nested = args.toString();
        AtomicInteger calls = new AtomicInteger();
        Tool tool = Tool.of(new ToolSpec("lookup", "Looks up.", "{\"type\":\"object\"}"), call -> ToolOutput.text("ok"));
        Recorder recorder = new Recorder();
        InMemoryConversationStore store = InMemoryConversationStore.create();
        Throwable thrown = null;
        TurnResult result = null;
        try (TurnService turns = TurnService.builder(store).tools(tool).listener(recorder).provider(r -> calls.getAndIncrement() == 0
                ? Reply.of(new Part.ToolCall("c1", "lookup", nested))
                : Reply.of("done")).build()) {
            try {
                result = turns.respond("s", "es", "hola", "t1");
            } catch (Throwable t) {
                thrown = t;
            }
        }
        assertThat(thrown).as("malformed or deep arguments become an error result the model reads (Turn events: %d of %d)",
                recorder.turnEnds.get(), recorder.turnStarts.get()).isNull();
        assertThat(recorder.turnEnds.get()).as("a Turn event for every TurnStart").isEqualTo(recorder.turnStarts.get());
        assertThat(result).isNotNull();
    }

    static final class Recorder implements StoreListener {
        final AtomicInteger turnStarts = new AtomicInteger();
        final AtomicInteger turnEnds = new AtomicInteger();
        final List<Object> events = new CopyOnWriteArrayList<>();

        @Override
        public void onTurnStart(TurnStart event) {
            turnStarts.incrementAndGet();
        }

        @Override
        public void onTurn(Turn event) {
            turnEnds.incrementAndGet();
            events.add(event);
        }
    }
}
