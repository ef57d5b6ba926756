package io.github.conversationstore;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.ReplyRequest;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A deterministic {@link ReplyProvider} for tests and demos: replies come from a script, and every
 * request is recorded for assertions. Thread-safe.
 *
 * @since 0.1.0
 */
public final class ScriptedReplyProvider implements ReplyProvider {
    private final Function<ReplyRequest, Reply> script;
    private final List<ReplyRequest> requests = new CopyOnWriteArrayList<>();

    private ScriptedReplyProvider(Function<ReplyRequest, Reply> script) {
        this.script = script;
    }

    /**
     * A provider whose reply repeats the user's text: {@code "echo: <text>"}, with the translation
     * {@code "[<language>] <text>"}.
     *
     * @return the provider
     */
    public static ScriptedReplyProvider echo() {
        return new ScriptedReplyProvider(request -> Reply.of("echo: " + request.userMessage().text())
                .withAttribute("translation", "[" + request.language() + "] " + request.userMessage().text()));
    }

    /**
     * A provider that gives these replies in order, then fails (not retryably) with "script
     * exhausted".
     *
     * @param replies the replies
     * @return the provider
     */
    public static ScriptedReplyProvider of(Reply... replies) {
        Deque<Reply> queue = new ArrayDeque<>(List.of(replies));
        return new ScriptedReplyProvider(request -> {
            synchronized (queue) {
                Reply next = queue.poll();
                if (next == null) {
                    throw new ReplyProviderException("script exhausted", false, null);
                }
                return next;
            }
        });
    }

    /**
     * A provider that answers with this function, which may also throw
     * {@link ReplyProviderException} to play a failure.
     *
     * @param script computes the reply of a request
     * @return the provider
     */
    public static ScriptedReplyProvider of(Function<ReplyRequest, Reply> script) {
        return new ScriptedReplyProvider(Objects.requireNonNull(script, "script"));
    }

    @Override
    public Reply reply(ReplyRequest request) {
        requests.add(request);
        return script.apply(request);
    }

    /**
     * Returns {@code "scripted"}.
     *
     * @return the name
     */
    @Override
    public String name() {
        return "scripted";
    }

    /**
     * Every request received, in order of arrival.
     *
     * @return an unmodifiable snapshot
     */
    public List<ReplyRequest> requests() {
        return List.copyOf(requests);
    }
}
