package io.github.conversationstore.springai.issues;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.github.conversationstore.InMemoryConversationStore;
import io.github.conversationstore.springai.ConversationStoreChatMemory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.AssistantMessage;

/**
 * Review 27: the cycle check (issue 27 item 6) walks metadata by path, so a value that shares one
 * list between two branches at every level (a DAG, no cycle) is walked 2^depth times: a few dozen
 * levels hang the add instead of failing fast with the size limit.
 */
class SharedMetadataBranchesHangTest {

    @Test
    @Disabled("finding: metadata sharing sub-lists (no cycle) is walked exponentially; add never returns")
    void metadataSharingItsSubListsAtEveryLevel_failsOrStoresQuickly() {
        Object value = List.of("leaf");
        for (int i = 0; i < 40; i++) {
            List<Object> level = new ArrayList<>();
            level.add(value);
            level.add(value);
            value = level;
        }
        AssistantMessage answer = AssistantMessage.builder().content("a").properties(Map.of("tree", value)).build();
        ConversationStoreChatMemory memory = ConversationStoreChatMemory.builder(InMemoryConversationStore.create()).build();

        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try {
                memory.add("c", List.of(answer));
            } catch (IllegalArgumentException tooLarge) {
                assertThat(tooLarge).hasMessageContaining("tree");
            }
        });
    }
}
