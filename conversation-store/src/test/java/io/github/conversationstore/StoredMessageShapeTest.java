package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoCollection;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.Decimal128;
import org.junit.jupiter.api.Test;

/**
 * What the documents look like to someone with the driver or {@code mongosh} and no library: parts
 * and metadata as native BSON, in the head and in archive chunks; text-only messages as in 0.1.
 */
class StoredMessageShapeTest extends EmbeddedMongoTestBase {
    private static final Instant TIME = Instant.parse("2026-11-29T10:00:00Z");

    private MongoConversationStore store(String collection) {
        return MongoConversationStore.builder().client(client).database("shape").collection(collection)
                .maxHeadMessages(4).maxHeadBytes(4096).build();
    }

    @Test
    void partsAndMetadata_areNativeBsonInHeadAndArchive() {
        MongoCollection<Document> head = client.getDatabase("shape").getCollection("tools");
        MongoCollection<Document> archive = client.getDatabase("shape").getCollection("tools_archive");
        Message call = new Message("a1", Role.ASSISTANT, List.of(Part.text("Checking."),
                new Part.ToolCall("c1", "conjugate", "{\"verb\":\"ir\"}"), Part.Media.inline("image/png", new byte[] {1, 2})),
                TIME, Map.of(), Map.of("usage", Map.of("inputTokens", 12, "outputTokens", 3), "ratio", 0.5,
                        "price", new BigDecimal("0.0003"), "big", 1L << 40, "tags", List.of("a", true)));
        Message result = Message.tool(Part.ToolResult.error("c1", "conjugate", "no such verb"));
        try (MongoConversationStore store = store("tools")) {
            store.appendMessages("s1", "es", List.of(Message.user("hola")));
            store.appendMessages("s1", "es", List.of(call, result));

            Document headMessage = messageWithId(head.find(new Document("sessionId", "s1")).first(), "a1");
            assertCallShape(headMessage);
            assertThat(messageWithId(head.find().first(), result.id()).getList("parts", Document.class).get(0))
                    .containsEntry("type", "tool_result").containsEntry("callId", "c1").containsEntry("error", true)
                    .doesNotContainKey("json");
            Document user = messageWithId(head.find().first(), null);
            assertThat(user).containsEntry("text", "hola").doesNotContainKeys("parts", "metadata");

            for (int i = 0; i < 6; i++) {
                store.appendMessages("s1", "es", List.of(Message.user("filler " + i)));
            }
            List<Document> archived = new ArrayList<>();
            archive.find().forEach(chunk -> archived.addAll(chunk.getList("messages", Document.class)));
            assertCallShape(archived.stream().filter(m -> "a1".equals(m.get("id"))).findFirst().orElseThrow());
            assertThat(store.readMessages("s1", 1, 2)).extracting(StoredMessage::message).containsExactly(call, result);
        }
    }

    private static void assertCallShape(Document stored) {
        assertThat(stored).doesNotContainKey("text");
        List<Document> parts = stored.getList("parts", Document.class);
        assertThat(parts).extracting(p -> p.getString("type")).containsExactly("text", "tool_call", "media");
        assertThat(parts.get(1)).containsEntry("callId", "c1").containsEntry("name", "conjugate")
                .containsEntry("arguments", "{\"verb\":\"ir\"}");
        assertThat(parts.get(2).get("data")).isInstanceOf(Binary.class);
        Document metadata = stored.get("metadata", Document.class);
        assertThat(metadata.get("usage", Document.class).get("inputTokens")).isInstanceOf(Integer.class).isEqualTo(12);
        assertThat(metadata.get("ratio")).isEqualTo(0.5);
        assertThat(metadata.get("price")).isEqualTo(new Decimal128(new BigDecimal("0.0003")));
        assertThat(metadata.get("big")).isEqualTo(1L << 40);
        assertThat(metadata.getList("tags", Object.class)).containsExactly("a", true);
        assertThat(stored.get("timestamp")).isInstanceOf(Date.class);
    }

    /** The head's message with this {@code id}, or the first without parts if {@code id} is null. */
    private static Document messageWithId(Document head, String id) {
        return head.getList("messages", Document.class).stream()
                .filter(m -> id == null ? !m.containsKey("parts") : id.equals(m.get("id")))
                .findFirst().orElseThrow();
    }

    @Test
    void messagesWrittenByTheDriverAlone_inTheDocumentedShape_readBack() {
        MongoCollection<Document> head = client.getDatabase("shape").getCollection("handwritten");
        try (MongoConversationStore store = store("handwritten")) {
            store.appendMessages("s1", "en", List.of(Message.user("first")));
            // what a mongosh user or another service would push, following docs/ARCHITECTURE.md
            Document toolMessage = new Document("id", "t1").append("role", "tool")
                    .append("parts", List.of(new Document("type", "tool_result").append("callId", "c9")
                            .append("name", "lookup").append("content", "{\"ok\":1}").append("json", true),
                            new Document("type", "future_part").append("x", 1)))
                    .append("timestamp", Date.from(TIME))
                    .append("metadata", new Document("source", "batch-job").append("n", 3L));
            head.updateOne(new Document("sessionId", "s1"), new Document("$push", new Document("messages", toolMessage))
                    .append("$inc", new Document("messageCount", 1)));

            Message read = store.readMessages("s1", 1, 1).get(0).message();

            assertThat(read.role()).isEqualTo(Role.TOOL);
            assertThat(read.parts()).containsExactly(new Part.ToolResult("c9", "lookup", "{\"ok\":1}", true, false),
                    new Part.Unknown("future_part", Map.of("x", 1)));
            assertThat(read.metadata()).containsEntry("source", "batch-job").containsEntry("n", 3);
            assertThat(read.text()).isEmpty();
        }
    }
}
