package io.github.conversationstore.langchain4j.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.langchain4j.ConversationStoreChatMemory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Review 27: the cycle check (issue 27 item 6) walks attributes by path, so a value sharing one list
 * between two branches at every level (no cycle) is walked 2^depth times: the add hangs instead of
 * failing fast with the size limit.
 */
class SharedAttributeBranchesHangTest {

    @Test
    @Disabled("finding: attributes sharing sub-lists (no cycle) are walked exponentially; add never returns")
    void attributeSharingItsSubListsAtEveryLevel_failsOrStoresQuickly() {
        Object value = List.of("leaf");
        for (int i = 0; i < 40; i++) {
            List<Object> level = new ArrayList<>();
            level.add(value);
            level.add(value);
            value = level;
        }
        UserMessage message = UserMessage.builder().addContent(TextContent.from("hi"))
                .attributes(Map.of("tree", value)).build();
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder()
                .store(InMemoryConversationStore.create()).id("c").build();

        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try {
                memory.add(message);
            } catch (IllegalArgumentException tooLarge) {
                assertThat(tooLarge).hasMessageContaining("tree");
            }
        });
    }
}
