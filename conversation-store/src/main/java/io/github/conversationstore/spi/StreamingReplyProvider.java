package io.github.conversationstore.spi;

import java.util.function.Consumer;

/**
 * A {@link ReplyProvider} that emits its reply's text as the model produces it. The turn service
 * stores the text so far as the turn's draft (see {@link io.github.conversationstore.Draft}),
 * which followers in any process read ({@code TurnService#followTurn}), and appends the reply
 * {@link #stream} returns as the turn's final message, exactly once. A provider that does not
 * stream keeps implementing {@link ReplyProvider} alone.
 *
 * @since 0.3
 */
public interface StreamingReplyProvider extends ReplyProvider {

    /**
     * Produces a reply, giving each new piece of its text to {@code deltas} as it comes, in order.
     * The reply returned is what is stored: its text should be the deltas joined (tool calls,
     * reasoning and metadata come with it). {@code deltas} may throw to stop the stream (the turn
     * was stopped, or another process took it over): let it propagate.
     *
     * @param request what {@link #reply} gets
     * @param deltas receives the text as it is produced
     * @return the whole reply, never null
     * @throws ReplyProviderException if no reply could be produced; say whether a retry may help
     */
    Reply stream(ReplyRequest request, Consumer<String> deltas);

    /**
     * The reply without streaming: {@link #stream} with the deltas dropped.
     *
     * @param request the request
     * @return the reply
     */
    @Override
    default Reply reply(ReplyRequest request) {
        return stream(request, delta -> { });
    }
}
