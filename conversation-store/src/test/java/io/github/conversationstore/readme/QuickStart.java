package io.github.conversationstore.readme;

// --- quick start ---
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.StoredMessage;
import java.util.List;

public class QuickStart {
    public static void main(String[] args) {
        // any MongoDB: a standalone server, a replica set or a sharded cluster
        String connectionString = args.length > 0 ? args[0] : "mongodb://localhost:27017";
        try (ConversationStore store = MongoConversationStore.builder()
                .connectionString(connectionString)
                .database("chat")
                .build()) {

            // One atomic, exactly-once append: the user's message and the reply, contiguous.
            store.appendMessages("session-42", "en", List.of(
                    Message.user("What is the capital of Peru?"),
                    Message.assistant("Lima.")));

            // An append id (an idempotency key) makes a retried request harmless.
            AppendRequest request = AppendRequest.builder("session-42", "en")
                    .appendId("request-7")
                    .messages(Message.user("And of Chile?"))
                    .build();
            store.appendMessages(request);
            AppendResult again = store.appendMessages(request);
            System.out.println("the repeat was a duplicate: " + again.duplicate());

            // The prompt window: the last 20 messages, oldest first, with sequence numbers.
            List<StoredMessage> window = store.recentMessages("session-42", 20);
            for (StoredMessage stored : window) {
                System.out.println(stored.sequence() + " " + stored.message().role() + ": " + stored.message().text());
            }
            ConversationHeader header = store.findConversation("session-42").orElseThrow();
            System.out.println(header.messageCount() + " messages, started " + header.createdAt());
        }
    }
}
// --- end quick start ---
