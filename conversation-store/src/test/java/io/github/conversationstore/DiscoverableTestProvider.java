package io.github.conversationstore;

import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyRequest;

/** Registered in {@code META-INF/services} of the tests, to be found by {@link java.util.ServiceLoader}. */
public class DiscoverableTestProvider implements ReplyProvider {
    /** For {@link java.util.ServiceLoader}. */
    public DiscoverableTestProvider() {
        // nothing to set up
    }

    @Override
    public Reply reply(ReplyRequest request) {
        return Reply.of("discovered reply to " + request.userMessage().text());
    }

    @Override
    public String name() {
        return "test-discovered";
    }
}
