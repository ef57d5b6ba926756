package io.github.conversationstore.springai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.springai.testing.SpringAiLine;
import io.github.conversationstore.springai.testing.SpringAiLine.ScriptedChatModel;
import io.github.conversationstore.springai.testing.SpringAiLine.WeatherTools;
import java.math.BigInteger;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.MessageType;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.content.Media;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.util.MimeType;

/**
 * The adapter driven by Spring AI's own classes (ChatClient, MessageChatMemoryAdvisor,
 * MessageWindowChatMemory) and by direct calls, on every store: the same rules in memory and in
 * MongoDB.
 */
abstract class AbstractSpringAiAdapterTest {
    protected ConversationStore store;

    /** A new, empty store. */
    protected abstract ConversationStore newStore();

    @BeforeEach
    void open() {
        store = newStore();
    }

    @AfterEach
    void close() {
        store.close();
    }

    private ConversationStoreChatMemory memory() {
        return ConversationStoreChatMemory.builder(store).build();
    }

    private ConversationStoreChatMemoryRepository repository(int maxMessages) {
        return ConversationStoreChatMemoryRepository.builder(store).maxMessages(maxMessages).build();
    }

    private List<StoredMessage> stored(String conversationId) {
        return store.readMessages(conversationId, 0, 1_000);
    }

    private List<String> texts(String conversationId) {
        return stored(conversationId).stream().map(StoredMessage::text).toList();
    }

    // ------------------------------------------------------------------ ChatClient

    @Test
    void chatClient_toolRound_storesEachMessageOnce() {
        ScriptedChatModel model = new ScriptedChatModel();
        ChatClient client = SpringAiLine.client(model, memory());

        String answer = client.prompt().system("You are a helpful assistant.").user("What's the weather in Paris?")
                .tools(new WeatherTools())
                .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "conv-1"))
                .call().content();

        assertThat(answer).isEqualTo("The weather in Paris is \"sunny, 21C\"");
        assertThat(model.prompts).hasSize(2);
        List<StoredMessage> turn = stored("conv-1");
        if (SpringAiLine.TWO) {
            // 2.x: the memory advisor is inside the tool loop and stores the whole round
            assertThat(turn).extracting(StoredMessage::role)
                    .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
            assertThat(turn.get(1).message().toolCalls())
                    .containsExactly(new Part.ToolCall("call_1", "weather", "{\"city\":\"Paris\"}"));
            assertThat(turn.get(2).message().toolResults()).extracting(Part.ToolResult::callId, Part.ToolResult::content)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("call_1", "\"sunny, 21C\""));
        } else {
            // 1.1.x: the memory advisor is outside the tool loop: the user's message and the answer
            assertThat(turn).extracting(StoredMessage::role).containsExactly(Role.USER, Role.ASSISTANT);
        }
        assertThat(turn.get(0).text()).isEqualTo("What's the weather in Paris?");
        assertThat(turn.get(turn.size() - 1).text()).isEqualTo(answer);

        String second = client.prompt().user("Thanks!")
                .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "conv-1"))
                .call().content();

        assertThat(second).isEqualTo("echo: Thanks!");
        List<Message> seen = model.prompts.get(2).getInstructions();
        assertThat(seen).extracting(Message::getText).contains("What's the weather in Paris?", answer, "Thanks!");
        assertThat(stored("conv-1")).hasSize(turn.size() + 2)
                .extracting(StoredMessage::role).doesNotContain(Role.SYSTEM);
    }

    @Test
    void chatClient_toolPairAddedByApplication_reachesTheModelWhole() {
        ConversationStoreChatMemory memory = memory();
        List<Message> earlier = List.of(
                new UserMessage("What's the weather in Paris?"),
                AssistantMessage.builder().content("")
                        .toolCalls(List.of(new AssistantMessage.ToolCall("call_7", "function", "weather", "{\"city\":\"Paris\"}")))
                        .build(),
                ToolResponseMessage.builder()
                        .responses(List.of(new ToolResponseMessage.ToolResponse("call_7", "weather", "\"sunny, 21C\"")))
                        .build(),
                new AssistantMessage("Sunny, 21C."));
        memory.add("conv-2", earlier);
        ScriptedChatModel model = new ScriptedChatModel();

        SpringAiLine.client(model, memory).prompt().user("And tomorrow?")
                .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "conv-2"))
                .call().content();

        List<Message> seen = model.prompts.get(0).getInstructions();
        int call = seen.indexOf(earlier.get(1));
        assertThat(call).isPositive();
        assertThat(seen.subList(call - 1, call + 3)).containsExactlyElementsOf(earlier);
    }

    @Test
    void chatClient_messageWindowChatMemoryOnRepository_neverDeletesHistory() {
        ChatMemory window = MessageWindowChatMemory.builder().chatMemoryRepository(repository(4)).maxMessages(4).build();
        ScriptedChatModel model = new ScriptedChatModel();
        ChatClient client = SpringAiLine.client(model, window);

        for (int turn = 0; turn < 5; turn++) {
            String text = "turn " + turn;
            client.prompt().user(text).advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "conv-3")).call().content();
        }

        List<String> expected = new ArrayList<>();
        for (int turn = 0; turn < 5; turn++) {
            expected.add("turn " + turn);
            expected.add("echo: turn " + turn);
        }
        assertThat(texts("conv-3")).containsExactlyElementsOf(expected);
        assertThat(window.get("conv-3")).extracting(Message::getText)
                .containsExactly("turn 3", "echo: turn 3", "turn 4", "echo: turn 4");
    }

    /**
     * Spring AI 2.0's MessageWindowChatMemory, when it trims, moves its cut forward to the next user
     * message, and drops the new messages too when none follows: they never reach the repository.
     * With its maxMessages above the repository's window it never trims, on either line.
     */
    @Test
    void messageWindowChatMemory_maxMessagesAboveTheRepositoryWindow_neverDropsNewMessages() {
        repository(20).saveAll("conv-trim", List.of(new UserMessage("u1"), new AssistantMessage("a1"),
                new AssistantMessage("a2"), new AssistantMessage("a3")));
        ChatMemory sameWindow = MessageWindowChatMemory.builder().chatMemoryRepository(repository(4)).maxMessages(4).build();
        ChatMemory largerWindow = MessageWindowChatMemory.builder().chatMemoryRepository(repository(4)).maxMessages(8).build();

        sameWindow.add("conv-trim", new AssistantMessage("a4"));
        largerWindow.add("conv-trim", new AssistantMessage("a5"));

        if (SpringAiLine.TWO) {
            assertThat(texts("conv-trim")).containsExactly("u1", "a1", "a2", "a3", "a5");
        } else {
            assertThat(texts("conv-trim")).containsExactly("u1", "a1", "a2", "a3", "a4", "a5");
        }
    }

    // ------------------------------------------------------------------ round trips

    private static Media uriMedia() {
        return Media.builder().mimeType(MimeType.valueOf("image/png")).data(URI.create("https://example.com/cat.png"))
                .id("media-1").name("cat").build();
    }

    private static Media bytesMedia() {
        return Media.builder().mimeType(MimeType.valueOf("audio/wav"))
                .data(new ByteArrayResource(new byte[] {1, 2, 3, 4})).name("hello.wav").build();
    }

    /** One message of every type, with what each can hold. */
    private static List<Message> everyType() {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("model", "gpt-5");
        metadata.put("usage", Map.of("promptTokens", 12, "completionTokens", 40));
        metadata.put("finish.reason", "STOP");
        metadata.put("$cost", 0.25f);
        metadata.put("%", List.of(1, "two", true));
        metadata.put("", "empty key");
        metadata.put("createdMillis", 1_700_000_000_000L);
        metadata.put("small", 7L);
        metadata.put("big", new BigInteger("123456789012345678901234567890"));
        metadata.put("absent", null);
        return List.of(
                SystemMessage.builder().text("You are a tutor.").metadata(Map.of("source", "config")).build(),
                UserMessage.builder().text("What is on these?").media(List.of(uriMedia(), bytesMedia()))
                        .metadata(Map.of("userId", "u-7")).build(),
                AssistantMessage.builder().content("Let me look.").properties(metadata)
                        .toolCalls(List.of(
                                new AssistantMessage.ToolCall("call_1", "function", "describe", "{\"image\":\"cat\"}"),
                                new AssistantMessage.ToolCall("call_2", "custom", "transcribe", "{}")))
                        .build(),
                ToolResponseMessage.builder().responses(List.of(
                        new ToolResponseMessage.ToolResponse("call_1", "describe", "{\"animal\":\"cat\"}"),
                        new ToolResponseMessage.ToolResponse("call_2", "transcribe", "hello")))
                        .metadata(Map.of("elapsedMillis", 35)).build(),
                AssistantMessage.builder().content(null)
                        .toolCalls(List.of(new AssistantMessage.ToolCall("", "function", "noId", "{}"))).build(),
                ToolResponseMessage.builder()
                        .responses(List.of(new ToolResponseMessage.ToolResponse("", "noId", "done"))).build(),
                new AssistantMessage("A cat, and someone saying hello."));
    }

    private static void assertSameMedia(List<Media> actual, List<Media> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            Media a = actual.get(i);
            Media e = expected.get(i);
            assertThat(a.getMimeType()).isEqualTo(e.getMimeType());
            assertThat(a.getId()).isEqualTo(e.getId());
            assertThat(a.getName()).isEqualTo(e.getName());
            if (e.getData() instanceof byte[]) {
                assertThat(a.getDataAsByteArray()).isEqualTo(e.getDataAsByteArray());
            } else {
                assertThat(a.getData()).isEqualTo(e.getData());
            }
        }
    }

    private static void assertRoundTrip(List<Message> back, List<Message> written) {
        assertThat(back).isEqualTo(written); // type, text, metadata (exact Java types), tool calls, responses
        assertThat(back).extracting(Message::getMessageType).containsExactly(MessageType.SYSTEM, MessageType.USER,
                MessageType.ASSISTANT, MessageType.TOOL, MessageType.ASSISTANT, MessageType.TOOL, MessageType.ASSISTANT);
        assertSameMedia(((UserMessage) back.get(1)).getMedia(), ((UserMessage) written.get(1)).getMedia());
        assertThat(back.get(2).getMetadata().get("createdMillis")).isInstanceOf(Long.class);
        assertThat(back.get(2).getMetadata().get("$cost")).isEqualTo(0.25f);
        assertThat(((AssistantMessage) back.get(4)).getText()).isNull();
        assertThat(((AssistantMessage) back.get(4)).getToolCalls().get(0).id()).isEmpty();
    }

    @Test
    void get_everyMessageType_roundTrips() {
        List<Message> written = everyType();
        memory().add("conv-rt", written);

        List<Message> back = memory().get("conv-rt");

        assertRoundTrip(back, written);
        assertThat(stored("conv-rt")).extracting(StoredMessage::role).containsExactly(Role.SYSTEM, Role.USER,
                Role.ASSISTANT, Role.TOOL, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
        assertThat(stored("conv-rt").get(1).message().parts()).hasSize(3).element(1)
                .isEqualTo(new Part.Media("image/png", URI.create("https://example.com/cat.png"), null, "cat"));
    }

    @Test
    void findByConversationId_everyMessageType_roundTrips() {
        List<Message> written = everyType();
        repository(20).saveAll("conv-rt", written);

        assertRoundTrip(repository(20).findByConversationId("conv-rt"), written);
    }

    @Test
    void add_assistantMediaAndOtherValues_keepTheirContent() {
        Instant when = Instant.parse("2026-01-02T03:04:05Z");
        Media text = textMedia();
        AssistantMessage written = AssistantMessage.builder().content("Here is a picture.")
                .properties(new HashMap<>(Map.of("when", when, "type", MessageType.TOOL, "deep", nested(20))))
                .media(List.of(uriMedia(), text)).build();
        memory().add("conv-media", List.of(written));

        AssistantMessage back = (AssistantMessage) memory().get("conv-media").get(0);

        assertSameMedia(back.getMedia(), written.getMedia());
        assertThat(back.getMetadata()).containsEntry("when", "2026-01-02T03:04:05Z").containsEntry("type", "TOOL");
        assertThat(back.getText()).isEqualTo("Here is a picture.");
    }

    private static Media textMedia() {
        Media.Builder builder = Media.builder().mimeType(MimeType.valueOf("text/plain")).name("note");
        try {
            try {
                return ((Media.Builder) Media.Builder.class.getMethod("data", String.class).invoke(builder, "not a URI"))
                        .build();
            } catch (NoSuchMethodException e) {
                return ((Media.Builder) Media.Builder.class.getMethod("data", Object.class).invoke(builder, "not a URI"))
                        .build();
            }
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static Object nested(int depth) {
        return depth == 0 ? "bottom" : Map.of("d", nested(depth - 1));
    }

    @Test
    void add_largeMedia_refusedOrOmittedAsConfigured() {
        UserMessage big = UserMessage.builder().text("a photo").media(List.of(Media.builder()
                .mimeType(MimeType.valueOf("image/jpeg")).data(new ByteArrayResource(new byte[100_000])).name("photo").build()))
                .build();

        assertThatThrownBy(() -> memory().add("conv-big", List.of(new UserMessage("first"), big)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("65536");
        assertThat(stored("conv-big")).isEmpty();

        ConversationStoreChatMemory omitting = ConversationStoreChatMemory.builder(store).omitLargeMedia(true).build();
        omitting.add("conv-big", List.of(big));
        assertThat(((UserMessage) omitting.get("conv-big").get(0)).getMedia()).isEmpty();
        assertThat(stored("conv-big").get(0).message().parts()).extracting(Part::type)
                .containsExactly("text", MessageMapping.MEDIA_OMITTED_PART);
    }

    // ------------------------------------------------------------------ ChatMemory

    @Test
    void add_sameMessageObjectsAgain_storesThemOnce() {
        ConversationStoreChatMemory memory = memory();
        Message user = new UserMessage("hello");
        Message reply = new AssistantMessage("hi");

        memory.add("conv-4", List.of(user, reply));
        memory.add("conv-4", List.of(user, reply)); // an advisor that runs again
        memory.add("conv-4", user);

        assertThat(texts("conv-4")).containsExactly("hello", "hi");
    }

    @Test
    void add_equalButNewObjects_storesBoth() {
        ConversationStoreChatMemory memory = memory();

        memory.add("conv-5", new UserMessage("yes"));
        memory.add("conv-5", new UserMessage("yes"));

        assertThat(texts("conv-5")).containsExactly("yes", "yes");
    }

    @Test
    void add_messagesReadFromTheMemory_notStoredAgain() {
        ConversationStoreChatMemory memory = memory();
        memory.add("conv-6", List.of(new UserMessage("a"), new AssistantMessage("b")));

        memory.add("conv-6", memory.get("conv-6"));
        memory.add("conv-copy", memory.get("conv-6")); // another conversation: a copy

        assertThat(texts("conv-6")).containsExactly("a", "b");
        assertThat(texts("conv-copy")).containsExactly("a", "b");
    }

    @Test
    void get_longConversation_returnsTheWindowOnly() {
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder(store).maxMessages(5).build();
        for (int i = 0; i < 30; i++) {
            memory.add("conv-7", new UserMessage("m" + i));
        }

        assertThat(memory.get("conv-7")).extracting(Message::getText).containsExactly("m25", "m26", "m27", "m28", "m29");
        assertThat(memory.get("unknown")).isEmpty();
    }

    @Test
    void clear_erasesTheWholeConversation() {
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder(store).maxMessages(2).build();
        memory.add("conv-8", List.of(new UserMessage("a"), new AssistantMessage("b"), new UserMessage("c")));

        memory.clear("conv-8");

        assertThat(stored("conv-8")).isEmpty();
        assertThat(store.findConversation("conv-8")).isEmpty();
        memory.add("conv-8", new UserMessage("again"));
        assertThat(texts("conv-8")).containsExactly("again");
    }

    @Test
    void builder_badSettings_refused() {
        assertThatThrownBy(() -> ConversationStoreChatMemory.builder(store).language("english"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("language");
        assertThatThrownBy(() -> ConversationStoreChatMemoryRepository.builder(store).maxMessages(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMessages");
        assertThatThrownBy(() -> ConversationStoreChatMemory.builder(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void add_language_recordedOnTheConversation() {
        ConversationStoreChatMemory.builder(store).language("es").build().add("conv-es", new UserMessage("hola"));

        assertThat(store.findConversation("conv-es").orElseThrow().language()).isEqualTo("es");
    }

    // ------------------------------------------------------------------ ChatMemoryRepository

    @Test
    void saveAll_windowPlusNewMessages_appendsOnlyTheNew() {
        ConversationStoreChatMemoryRepository repository = repository(20);

        repository.saveAll("conv-9", List.of(new UserMessage("u1")));
        List<Message> window = new ArrayList<>(repository.findByConversationId("conv-9"));
        window.add(new AssistantMessage("a1"));
        repository.saveAll("conv-9", window);

        assertThat(texts("conv-9")).containsExactly("u1", "a1");
    }

    @Test
    void saveAll_sameListAgain_appliedOnce() {
        ConversationStoreChatMemoryRepository repository = repository(20);
        repository.saveAll("conv-10", List.of(new UserMessage("u1")));
        List<Message> list = new ArrayList<>(repository.findByConversationId("conv-10"));
        list.add(new AssistantMessage("a1"));
        list.add(new UserMessage("u2"));

        repository.saveAll("conv-10", list);
        repository.saveAll("conv-10", list); // a retry after a timeout
        repository.saveAll("conv-10", List.copyOf(list));

        assertThat(texts("conv-10")).containsExactly("u1", "a1", "u2");
    }

    @Test
    void saveAll_otherInstanceAppendedInBetween_keepsBoth() {
        ConversationStoreChatMemoryRepository first = repository(20);
        ConversationStoreChatMemoryRepository second = repository(20); // another application instance
        first.saveAll("conv-11", List.of(new UserMessage("start")));
        List<Message> seenByFirst = new ArrayList<>(first.findByConversationId("conv-11"));
        List<Message> seenBySecond = new ArrayList<>(second.findByConversationId("conv-11"));

        seenByFirst.add(new UserMessage("from first"));
        first.saveAll("conv-11", seenByFirst);
        seenBySecond.add(new UserMessage("from second"));
        second.saveAll("conv-11", seenBySecond);

        assertThat(texts("conv-11")).containsExactly("start", "from first", "from second");
    }

    @Test
    void saveAll_listWithEvictedOrReorderedMessages_neverDeletes() {
        ConversationStoreChatMemoryRepository repository = repository(6);
        List<Message> six = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            six.add(new UserMessage("m" + i));
        }
        repository.saveAll("conv-12", six);
        List<Message> window = repository.findByConversationId("conv-12");

        List<Message> trimmed = new ArrayList<>(window.subList(3, 6)); // the oldest evicted
        trimmed.add(new UserMessage("n1"));
        repository.saveAll("conv-12", trimmed);
        List<Message> reordered = new ArrayList<>(List.of(window.get(5), window.get(1)));
        reordered.add(new UserMessage("n2"));
        repository.saveAll("conv-12", reordered);
        repository.saveAll("conv-12", List.of());

        assertThat(texts("conv-12")).containsExactly("m0", "m1", "m2", "m3", "m4", "m5", "n1", "n2");
    }

    @Test
    void saveAll_newSystemMessageReplacingTheOld_appendsIt() {
        ConversationStoreChatMemoryRepository repository = repository(20);
        MessageWindowChatMemory window = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();

        window.add("conv-13", List.of(new SystemMessage("be brief"), new UserMessage("hi")));
        window.add("conv-13", List.of(new SystemMessage("be kind"))); // the window drops "be brief"

        assertThat(texts("conv-13")).containsExactly("be brief", "hi", "be kind");
    }

    @Test
    void saveAll_listNotReadFromTheStore_appendsOnlyTheUnstoredEnd() {
        repository(20).saveAll("conv-14", List.of(new UserMessage("u1"), new AssistantMessage("a1")));
        ConversationStoreChatMemoryRepository restarted = repository(20);

        restarted.saveAll("conv-14", List.of(new UserMessage("u1"), new AssistantMessage("a1"), new UserMessage("u2")));
        restarted.saveAll("conv-14", List.of(new AssistantMessage("a1"), new UserMessage("u2")));

        assertThat(texts("conv-14")).containsExactly("u1", "a1", "u2");
    }

    @Test
    void deleteByConversationId_erasesTheWholeConversation() {
        ConversationStoreChatMemoryRepository repository = repository(1);
        repository.saveAll("conv-15", List.of(new UserMessage("a"), new UserMessage("b")));

        repository.deleteByConversationId("conv-15");

        assertThat(stored("conv-15")).isEmpty();
        assertThat(repository.findByConversationId("conv-15")).isEmpty();
    }

    @Test
    void findConversationIds_givenASource_usesIt() {
        ConversationStoreChatMemoryRepository repository = ConversationStoreChatMemoryRepository.builder(store)
                .conversationIds(() -> List.of("a", "b")).build();

        assertThat(repository.findConversationIds()).containsExactly("a", "b");
        store.appendMessages("conv-2", "en", List.of(io.github.conversationstore.Message.user("hi")));
        store.appendMessages("conv-1", "en", List.of(io.github.conversationstore.Message.user("hi")));
        // without a source, the store lists its conversations
        assertThat(repository(20).findConversationIds()).containsExactly("conv-1", "conv-2");
    }
}
