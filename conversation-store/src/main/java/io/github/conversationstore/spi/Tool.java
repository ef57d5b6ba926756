package io.github.conversationstore.spi;

import java.util.Objects;
import java.util.function.Function;

/**
 * A tool the model may ask to run during a turn: its {@link ToolSpec} (name, description, JSON
 * schema of its input) goes to the provider, and {@link #run(ToolInvocation)} runs a call.
 *
 * <p>For example, a tool made of a spec and a function, offered to the turn service:
 *
 * <!-- snippet file="io/github/conversationstore/examples/TurnExamplesTest.java" region="tool" -->
 * <pre>{@code
 * Tool bookLesson = Tool.of(
 *         new ToolSpec("book_lesson", "Books a lesson with the tutor on a weekday.",
 *                 "{\"type\":\"object\",\"properties\":{\"day\":{\"type\":\"string\"}},\"required\":[\"day\"]}"),
 *         call -> {
 *             // at least once per call: the key lets the calendar apply a call run again once
 *             String booking = calendar.book(call.idempotencyKey(), call.arguments());
 *             return ToolOutput.json("{\"booking\":\"" + booking + "\"}");
 *         });
 * TurnService turns = TurnService.builder(store)
 *         .provider(model)                     // asks for tools, then answers
 *         .tools(bookLesson)
 *         .toolTimeout(Duration.ofSeconds(10)) // per run; retried with the same key
 *         .build();
 * }</pre>
 *
 * <p>A tool runs <em>at least once</em> per call the model makes: when a process dies after the
 * tool ran but before its result was stored, the turn resumed by its id runs the call again, with
 * the same {@linkplain ToolInvocation#idempotencyKey() idempotency key}. Pass that key on to the
 * systems the tool changes (a booking API, a mail service) so that they apply the call once. In the
 * conversation, every call and every result is stored exactly once.
 *
 * <p>Implementations must be thread-safe; the turn service runs them with a timeout and may
 * interrupt the running thread when it expires.
 *
 * @since 0.2.0
 */
public interface Tool {

    /**
     * Returns what the model is told about the tool.
     *
     * @return the name, description and input schema
     */
    ToolSpec spec();

    /**
     * Runs one call.
     *
     * @param invocation the call's arguments (JSON text, checked to be a JSON object), its ids and
     *     idempotency key
     * @return what the tool returned, for the model to read
     * @throws ToolException if the tool failed: a retryable failure is retried with the same
     *     idempotency key, any other is stored as an error result the model reads; any other
     *     runtime exception counts as a failure that is not retryable
     */
    ToolOutput run(ToolInvocation invocation);

    /**
     * Creates a tool from its spec and a function.
     *
     * @param spec the spec
     * @param function runs a call
     * @return the tool
     */
    static Tool of(ToolSpec spec, Function<ToolInvocation, ToolOutput> function) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(function, "function");
        return new Tool() {
            @Override
            public ToolSpec spec() {
                return spec;
            }

            @Override
            public ToolOutput run(ToolInvocation invocation) {
                return function.apply(invocation);
            }

            @Override
            public String toString() {
                return "Tool[" + spec.name() + "]";
            }
        };
    }
}
