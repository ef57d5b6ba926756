package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The public limit constants on {@link ConversationStore} are the limits the stores enforce. */
class PublicLimitsTest {
    private final ConversationStore store = InMemoryConversationStore.create();

    @Test
    void messagesPerAppend() {
        List<Message> most = new ArrayList<>(Collections.nCopies(ConversationStore.MAX_MESSAGES_PER_APPEND,
                Message.user("x")));
        assertThatCode(() -> store.appendMessages("s", "en", most)).doesNotThrowAnyException();
        most.add(Message.user("x"));
        assertThatThrownBy(() -> store.appendMessages("s", "en", most)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sessionIdLength() {
        String longest = "s".repeat(ConversationStore.MAX_SESSION_ID_LENGTH);
        assertThatCode(() -> store.appendMessages(longest, "en", List.of(Message.user("x")))).doesNotThrowAnyException();
        assertThatThrownBy(() -> store.appendMessages(longest + "s", "en", List.of(Message.user("x"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sessionId");
    }

    @Test
    void idLength() {
        String longest = "a".repeat(ConversationStore.MAX_ID_LENGTH);
        assertThatCode(() -> AppendRequest.builder("s", "en").appendId(longest).messages(List.of(Message.user("x")))
                .build()).doesNotThrowAnyException();
        assertThatThrownBy(() -> AppendRequest.builder("s", "en").appendId(longest + "a")
                .messages(List.of(Message.user("x"))).build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void defaultTextAndMessageBytes() {
        String longest = "a".repeat(ConversationStore.DEFAULT_MAX_TEXT_BYTES);
        assertThatCode(() -> store.appendMessages("t", "en", List.of(Message.user(longest)))).doesNotThrowAnyException();
        assertThatThrownBy(() -> store.appendMessages("t", "en", List.of(Message.user(longest + "a"))))
                .isInstanceOf(IllegalArgumentException.class);
        String content = "a".repeat(ConversationStore.DEFAULT_MAX_MESSAGE_BYTES);
        assertThatThrownBy(() -> store.appendMessages("t", "en",
                List.of(Message.tool(new Part.ToolResult("c", "tool", content, false, false)))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatCode(() -> store.appendMessages("t", "en", List.of(Message.tool(new Part.ToolResult("c", "tool",
                content.substring(io.github.conversationstore.internal.Fitting.MESSAGE_RESERVE_BYTES), false, false)))))
                .doesNotThrowAnyException();
    }

    @Test
    void defaultAppendIdWindow() {
        assertThatCode(() -> InMemoryConversationStore.builder().appendIdWindow(ConversationStore.DEFAULT_APPEND_ID_WINDOW)
                .build()).doesNotThrowAnyException();
        org.assertj.core.api.Assertions.assertThat(Limits.DEFAULTS.appendIdWindow())
                .isEqualTo(ConversationStore.DEFAULT_APPEND_ID_WINDOW);
        org.assertj.core.api.Assertions.assertThat(Limits.DEFAULTS.maxTextBytes())
                .isEqualTo(ConversationStore.DEFAULT_MAX_TEXT_BYTES);
        org.assertj.core.api.Assertions.assertThat(Limits.DEFAULTS.maxMessageBytes())
                .isEqualTo(ConversationStore.DEFAULT_MAX_MESSAGE_BYTES);
    }
}
