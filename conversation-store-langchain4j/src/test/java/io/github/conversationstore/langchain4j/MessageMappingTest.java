package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.image.Image;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.AudioContent;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.CustomMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.PdfFileContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.message.VideoContent;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.Part;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import java.net.URI;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every LangChain4j message type is stored and read back equal, on every store. */
class MessageMappingTest {
    private static final String PNG = Base64.getEncoder().encodeToString(new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});

    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    static List<ChatMessage> everyType() {
        Map<String, Object> userAttributes = new LinkedHashMap<>();
        userAttributes.put("lang.detected", "es");
        userAttributes.put("$score", 3);
        userAttributes.put("100%", 2.5);
        userAttributes.put("tags", List.of("a", "b"));
        userAttributes.put("nested", Map.of("k.x", true));
        userAttributes.put("none", null);
        ToolExecutionRequest weather = ToolExecutionRequest.builder().id("call_1").name("weather")
                .arguments("{\"city\":\"Paris\",\"$ref\":{\"a.b\":1}}").build();
        ToolExecutionRequest time = ToolExecutionRequest.builder().name("time").arguments("{}").build(); // no id
        ToolExecutionRequest chart = ToolExecutionRequest.builder().id("call_2").name("chart").arguments("{}").build();
        return List.of(
                SystemMessage.from("You are a tutor."),
                UserMessage.from("hola"),
                UserMessage.builder()
                        .name("ana")
                        .contents(List.of(
                                TextContent.from("Look at these:"),
                                ImageContent.from(URI.create("https://example.com/a.png")),
                                new ImageContent(PNG, "image/png", ImageContent.DetailLevel.HIGH),
                                new ImageContent(Image.builder().url("https://example.com/b").revisedPrompt("a cat").build()),
                                AudioContent.from(PNG, "audio/wav"),
                                VideoContent.from(URI.create("https://example.com/v.mp4")),
                                PdfFileContent.from(URI.create("https://example.com/homework.pdf"))))
                        .attributes(userAttributes)
                        .build(),
                AiMessage.builder()
                        .text("Let me check.")
                        .thinking("The user wants the weather and the time.")
                        .toolExecutionRequests(List.of(weather, time))
                        .attributes(Map.of("thinking_signature", "c2lnbmF0dXJl"))
                        .build(),
                ToolExecutionResultMessage.from(weather, "sunny, 21C"),
                ToolExecutionResultMessage.builder().toolName("time").text("noon").build(), // no id, isError unset
                AiMessage.from("It is sunny at noon."),
                AiMessage.from(chart),
                ToolExecutionResultMessage.builder().id("call_2").toolName("chart")
                        .contents(TextContent.from("chart:"), new ImageContent(PNG, "image/png"))
                        .isError(true).attributes(Map.of("ms", 12)).build(),
                AiMessage.builder().build(), // no text at all
                new CustomMessage(Map.of("provider.kind", "x", "n", 1)));
    }

    @ParameterizedTest
    @MethodSource("stores")
    void updateMessages_everyMessageType_readsBackEqual(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            List<ChatMessage> messages = everyType();
            ConversationStoreChatMemoryStore.builder().store(store).build().updateMessages("c1", messages);

            // a new adapter (another process): nothing known by identity
            List<ChatMessage> read = ConversationStoreChatMemoryStore.builder().store(store).build().getMessages("c1");

            assertThat(read).containsExactlyElementsOf(messages);
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void updateMessages_everyMessageType_storesPartsOtherCodeCanRead(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryStore.builder().store(store).build().updateMessages("c1", everyType());

            List<StoredMessage> stored = store.readMessages("c1", 0, 100);

            assertThat(stored).extracting(StoredMessage::role).containsExactly(Role.SYSTEM, Role.USER, Role.USER,
                    Role.ASSISTANT, Role.TOOL, Role.TOOL, Role.ASSISTANT, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT,
                    Role.USER);
            assertThat(stored.get(2).message().parts()).hasSize(7);
            assertThat(stored.get(2).message().parts().get(1))
                    .isEqualTo(new Part.Media("image/*", URI.create("https://example.com/a.png"), null, ""));
            assertThat(stored.get(3).message().parts()).containsExactly(
                    new Part.Reasoning("The user wants the weather and the time.", "c2lnbmF0dXJl", false),
                    new Part.Text("Let me check."),
                    new Part.ToolCall("call_1", "weather", "{\"city\":\"Paris\",\"$ref\":{\"a.b\":1}}"),
                    new Part.ToolCall("lc4j-call-1", "time", "{}"));
            assertThat(stored.get(5).message().toolResults())
                    .containsExactly(Part.ToolResult.text("lc4j-call-1", "time", "noon"));
            assertThat(store.promptWindow("c1", 100)).hasSize(11); // every call has its result
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void updateMessages_attributeThatIsNoJsonValue_throwsNamingItAndStoresNothing(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryStore memory = ConversationStoreChatMemoryStore.builder().store(store).build();
            UserMessage odd = UserMessage.builder().contents(List.of(TextContent.from("hi")))
                    .attributes(Map.of("when", new Object())).build();

            assertThatThrownBy(() -> memory.updateMessages("c1", List.of(UserMessage.from("first"), odd)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("attribute 'when' of a UserMessage");
            assertThat(store.findConversation("c1")).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void updateMessages_inlineImageOver64KiB_throwsSayingToUseAUrl(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryStore memory = ConversationStoreChatMemoryStore.builder().store(store).build();
            String big = Base64.getEncoder().encodeToString(new byte[Part.Media.MAX_INLINE_BYTES + 1]);

            assertThatThrownBy(() -> memory.updateMessages("c1", List.of(UserMessage.from(new ImageContent(big, "image/png")))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("give its url");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void getMessages_toolMessageWithTwoResultsWrittenByOtherCode_readsAsTwoResultMessages(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            store.appendMessages("c1", "en", List.of(
                    io.github.conversationstore.Message.user("weather and time?"),
                    io.github.conversationstore.Message.of(Role.ASSISTANT,
                            new Part.ToolCall("a", "weather", "{}"), new Part.ToolCall("b", "time", "{}")),
                    io.github.conversationstore.Message.tool(Part.ToolResult.text("a", "weather", "sunny"),
                            Part.ToolResult.error("b", "time", "clock broken"))));

            List<ChatMessage> read = ConversationStoreChatMemoryStore.builder().store(store).build().getMessages("c1");

            List<ChatMessage> expected = new ArrayList<>();
            expected.add(UserMessage.from("weather and time?"));
            expected.add(AiMessage.from(
                    ToolExecutionRequest.builder().id("a").name("weather").arguments("{}").build(),
                    ToolExecutionRequest.builder().id("b").name("time").arguments("{}").build()));
            expected.add(ToolExecutionResultMessage.builder().id("a").toolName("weather").text("sunny").isError(false).build());
            expected.add(ToolExecutionResultMessage.builder().id("b").toolName("time").text("clock broken").isError(true).build());
            assertThat(read).containsExactlyElementsOf(expected);
        }
    }

    /** A stopped stream's partial reply: the attribute is also where the store keeps a finish reason. */
    @org.junit.jupiter.api.Test
    void finishReasonAttribute_isAlsoTheStoredFinishReason_andReadsBackEqual() {
        AiMessage stopped = AiMessage.builder().text("Once upon").attributes(Map.of("finishReason", "stopped")).build();
        io.github.conversationstore.Message stored = MessageMapper.toStore(stopped, null);
        assertThat(stored.metadata()).containsEntry(io.github.conversationstore.Message.FINISH_REASON, "stopped");
        assertThat(MessageMapper.fromStore(stored)).containsExactly(stopped);

        AiMessage other = AiMessage.builder().text("x").attributes(Map.of("finishReason", 3)).build();
        assertThat(MessageMapper.toStore(other, null).metadata())
                .doesNotContainKey(io.github.conversationstore.Message.FINISH_REASON);
        assertThat(MessageMapper.fromStore(MessageMapper.toStore(other, null))).containsExactly(other);
    }
}
