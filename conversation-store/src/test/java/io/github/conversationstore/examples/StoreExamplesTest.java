package io.github.conversationstore.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.AppendConflictException;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationHeader;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.Message;
import io.github.conversationstore.MongoConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.spi.StoreListener;
import io.github.conversationstore.testing.EmbeddedMongo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The javadoc examples of the store's types, compiled and run against the in-memory store and the
 * embedded MongoDB server. The regions are shown in the javadoc; {@code JavadocSnippetsTest} keeps
 * the two equal.
 */
class StoreExamplesTest {
    private static EmbeddedMongo server;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    @BeforeAll
    static void start() {
        server = new EmbeddedMongo();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static Stream<Arguments> stores() {
        Supplier<ConversationStore> inMemory = InMemoryConversationStore::create;
        Supplier<ConversationStore> mongo = () -> MongoConversationStore.builder()
                .connectionString(server.connectionString())
                .database("examples" + DATABASES.incrementAndGet())
                .build();
        return Stream.of(Arguments.of(Named.of("in-memory", inMemory)), Arguments.of(Named.of("embedded MongoDB", mongo)));
    }

    /** {@code ConversationStore}: append, read the window and the history, find the header, erase. */
    @ParameterizedTest
    @MethodSource("stores")
    void conversationStore_appendReadErase(Supplier<ConversationStore> stores) {
        try (ConversationStore store = stores.get()) {
            // @start region="conversation-store"
            // One atomic append: both messages or neither, numbered 0 and 1
            store.appendMessages("session-42", "en", List.of(
                    Message.user("What is the capital of Peru?"),
                    Message.assistant("Lima.")));

            // The prompt window: the last 20 messages, oldest first, tool calls kept with their results
            List<StoredMessage> window = store.promptWindow("session-42", 20);

            // The whole history, a page at a time, however long it grew
            List<StoredMessage> page = store.readMessages("session-42", 0, 100);
            ConversationHeader header = store.findConversation("session-42").orElseThrow();

            // Erasure: the messages and the header are gone, and the append ids stay refused
            long erased = store.deleteConversation("session-42");
            // @end

            assertThat(window).extracting(StoredMessage::sequence).containsExactly(0L, 1L);
            assertThat(window).extracting(StoredMessage::text).containsExactly("What is the capital of Peru?", "Lima.");
            assertThat(page).isEqualTo(window);
            assertThat(header.messageCount()).isEqualTo(2);
            assertThat(header.language()).isEqualTo("en");
            assertThat(erased).isEqualTo(2);
            assertThat(store.findConversation("session-42")).isEmpty();
        }
    }

    /** {@code AppendRequest}: an append id makes a retried request harmless. */
    @ParameterizedTest
    @MethodSource("stores")
    void appendRequest_repeatIsADuplicate(Supplier<ConversationStore> stores) {
        try (ConversationStore store = stores.get()) {
            // @start region="append-request"
            AppendRequest request = AppendRequest.builder("session-42", "es")
                    .appendId("request-7")          // the idempotency key: applied once per session
                    .messages(Message.user("¿Y mañana?"), Message.assistant("Mañana es sábado."))
                    .headerAttribute("level", "A2") // merged into the header in the same atomic step
                    .build();
            AppendResult first = store.appendMessages(request);
            AppendResult again = store.appendMessages(request); // a retry after a timeout: nothing written
            // again.duplicate() is true, and again.firstSequence() is first.firstSequence()
            // @end

            assertThat(first.duplicate()).isFalse();
            assertThat(first.conversationCreated()).isTrue();
            assertThat(again.duplicate()).isTrue();
            assertThat(again.firstSequence()).isEqualTo(first.firstSequence());
            assertThat(store.readMessages("session-42", 0, 10)).hasSize(2);
            assertThat(store.findConversation("session-42").orElseThrow().attributes()).containsEntry("level", "A2");
            assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("session-42", "es")
                    .appendId("request-7").messages(Message.user("Otra cosa")).build()))
                    .isInstanceOf(AppendConflictException.class);
        }
    }

    /** {@code AppendRequest}: an append fenced by the session's lease, which it extends. */
    @ParameterizedTest
    @MethodSource("stores")
    void appendRequest_fencedByTheLease(Supplier<ConversationStore> stores) {
        try (ConversationStore store = stores.get()) {
            // @start region="fenced-append"
            if (store.tryAcquireLease("session-42", "es", "worker-1", Duration.ofSeconds(30))) {
                store.appendMessages(AppendRequest.builder("session-42", "es")
                        .leaseHolder("worker-1")            // written only while worker-1 holds the lease,
                        .renewLease(Duration.ofSeconds(30)) // which lasts 30 s more from then on
                        .messages(Message.assistant("Hola."))
                        .build());
                store.releaseLease("session-42", "worker-1");
            }
            // @end

            assertThat(store.readMessages("session-42", 0, 10)).extracting(StoredMessage::text).containsExactly("Hola.");
            assertThat(store.tryAcquireLease("session-42", "es", "worker-2", Duration.ofSeconds(30))).isTrue();
        }
    }

    /** {@code MongoConversationStore.Builder}: a store on the application's own client. */
    @Test
    void mongoBuilder_onTheApplicationsClient() {
        List<StoreListener.Append> appends = new ArrayList<>();
        StoreListener listener = new StoreListener() {
            @Override
            public void onAppend(StoreListener.Append event) {
                appends.add(event);
            }
        };
        try (MongoClient mongoClient = MongoClients.create(server.connectionString())) {
            // @start region="mongo-builder"
            MongoConversationStore store = MongoConversationStore.builder()
                    .client(mongoClient)                         // the application's: closing the store leaves it open
                    .database("tutor")                           // required
                    .collection("chats")                         // the heads; the archive: chats_archive
                    .operationTimeout(Duration.ofSeconds(5))     // one deadline per call, retries included
                    .expireAfterInactivity(Duration.ofDays(90))  // retention: a TTL index on the heads
                    .listener(listener)                          // metrics, traces: see StoreListener
                    .build();
            // @end
            try (store) {
                store.appendMessages("session-42", "en", List.of(Message.user("Hi")));
                assertThat(mongoClient.getDatabase("tutor").getCollection("chats").countDocuments()).isEqualTo(1);
            }
            assertThat(mongoClient.getDatabase("tutor").listCollectionNames()).contains("chats");
            assertThat(appends).hasSize(1);
        }
    }

    /** {@code Part}: a message's content in parts, written and read back. */
    @ParameterizedTest
    @MethodSource("stores")
    void parts_writtenAndReadBack(Supplier<ConversationStore> stores) {
        try (ConversationStore store = stores.get()) {
            // @start region="parts"
            Message call = Message.of(Role.ASSISTANT,
                    Part.text("Let me look that up."),
                    new Part.ToolCall("call-1", "weather", "{\"city\":\"Lima\"}"));
            Message result = Message.tool(Part.ToolResult.json("call-1", "weather", "{\"sky\":\"sunny\"}"));
            store.appendMessages("session-42", "en", List.of(Message.user("Weather in Lima?"), call, result));

            List<String> seen = new ArrayList<>();
            for (StoredMessage stored : store.recentMessages("session-42", 20)) {
                for (Part part : stored.message().parts()) {
                    if (part instanceof Part.Text text) {
                        seen.add(stored.role() + " says " + text.text());
                    } else if (part instanceof Part.ToolCall toolCall) {
                        seen.add(stored.role() + " calls " + toolCall.name() + " with " + toolCall.arguments());
                    } else if (part instanceof Part.ToolResult toolResult) {
                        seen.add(stored.role() + " answers " + toolResult.content());
                    }
                }
            }
            // @end

            assertThat(seen).containsExactly(
                    "USER says Weather in Lima?",
                    "ASSISTANT says Let me look that up.",
                    "ASSISTANT calls weather with {\"city\":\"Lima\"}",
                    "TOOL answers {\"sky\":\"sunny\"}");
        }
    }
}
