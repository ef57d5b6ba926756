package io.github.conversationstore;

/**
 * A {@linkplain AppendRequest#leaseHolder() fenced} append found that its holder no longer holds the
 * session's lease: it expired and another holder took it, or the session was deleted. Nothing was
 * written. A turn that gets it lost the session to a later turn; retry the turn with the same turn
 * id, which takes the lease again and resumes without storing anything twice.
 *
 * @since 0.2.0
 */
public class LeaseLostException extends ConversationBusyException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message which session, and which holder lost the lease
     */
    public LeaseLostException(String message) {
        super(message);
    }

    /** The exception for a fenced append refused because {@code why}; the same words in every store. */
    static LeaseLostException refused(AppendRequest request, String why) {
        return new LeaseLostException("append " + request.appendId() + " to session '" + request.sessionId()
                + "' is fenced by lease holder " + request.leaseHolder() + ", which no longer holds the lease: " + why
                + "; nothing was written");
    }
}
