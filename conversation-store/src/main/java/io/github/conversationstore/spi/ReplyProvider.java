package io.github.conversationstore.spi;

/**
 * Produces the assistant's reply to a user message. Implementations must be thread-safe.
 *
 * <p>For example, a provider on the application's language model client, which marks a timeout
 * retryable (the turn service then calls it again, with backoff):
 *
 * <!-- snippet file="io/github/conversationstore/examples/TurnExamplesTest.java" region="reply-provider" -->
 * <pre>{@code
 * // Asks the application's language model for the reply
 * final class TutorProvider implements ReplyProvider {
 *     private final LanguageModel model;
 *
 *     TutorProvider(LanguageModel model) {
 *         this.model = model;
 *     }
 *
 *     @Override
 *     public Reply reply(ReplyRequest request) {
 *         try {
 *             // the window, the user's message, then the turn's tool steps, oldest first
 *             String text = model.complete(request.conversation());
 *             return Reply.of(text).withModel(model.name());
 *         } catch (TimeoutException e) {
 *             throw new ReplyProviderException("the model did not answer in time", true, e); // retried
 *         }
 *     }
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface ReplyProvider {

    /**
     * Produces a reply. Called with a timeout by the turn service, which may interrupt the calling
     * thread when it expires.
     *
     * @param request the session, language, recent window, new user message and mode
     * @return the reply, never null
     * @throws ReplyProviderException if no reply could be produced; say whether a retry may help
     */
    Reply reply(ReplyRequest request);

    /**
     * A short name to select this provider among those {@link java.util.ServiceLoader} finds.
     *
     * @return the name; by default the simple class name, or {@code unnamed} for a lambda or an
     *     anonymous class
     */
    default String name() {
        Class<?> type = getClass();
        // a lambda's or an anonymous class's name changes from one JVM to the next
        return type.isAnonymousClass() || type.isSynthetic() || type.isHidden() ? "unnamed" : type.getSimpleName();
    }
}
