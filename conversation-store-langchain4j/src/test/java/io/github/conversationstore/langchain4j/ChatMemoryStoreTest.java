package io.github.conversationstore.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.StoredMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link ConversationStoreChatMemoryStore} under what LangChain4j and applications hand it. */
class ChatMemoryStoreTest {

    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    private static ConversationStoreChatMemoryStore adapter(ConversationStore store) {
        return ConversationStoreChatMemoryStore.builder().store(store).language("es").build();
    }

    private static List<String> texts(ConversationStore store, String session) {
        List<String> out = new ArrayList<>();
        for (StoredMessage m : store.readMessages(session, 0, 10_000)) {
            out.add(m.role().wireName() + ":" + m.text());
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("stores")
    void updateMessages_windowEvictsMessages_neverDeletesHistory(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            MessageWindowChatMemory memory = MessageWindowChatMemory.builder()
                    .id("c1").maxMessages(3).chatMemoryStore(adapter(store)).build();

            memory.add(SystemMessage.from("Be brief."));
            for (int i = 0; i < 10; i++) {
                memory.add(UserMessage.from("u" + i));
                memory.add(AiMessage.from("a" + i));
            }

            assertThat(store.findConversation("c1").orElseThrow().messageCount()).isEqualTo(21);
            assertThat(store.findConversation("c1").orElseThrow().language()).isEqualTo("es");
            assertThat(texts(store, "c1")).startsWith("system:Be brief.", "user:u0", "assistant:a0").endsWith("assistant:a9");
            assertThat(memory.messages()).containsExactly(SystemMessage.from("Be brief."), UserMessage.from("u9"), AiMessage.from("a9"));
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void updateMessages_anotherInstanceAppendedInBetween_appendsOnlyTheNewSuffix(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryStore first = adapter(store);
            ConversationStoreChatMemoryStore second = adapter(store);
            first.updateMessages("c1", List.of(UserMessage.from("hello"), AiMessage.from("hi")));

            List<ChatMessage> seenByFirst = first.getMessages("c1");
            List<ChatMessage> seenBySecond = second.getMessages("c1");
            seenByFirst.add(UserMessage.from("yes"));
            seenBySecond.add(UserMessage.from("yes")); // the same text, from another user: not a retry
            first.updateMessages("c1", seenByFirst);
            second.updateMessages("c1", seenBySecond);

            assertThat(texts(store, "c1")).containsExactly("user:hello", "assistant:hi", "user:yes", "user:yes");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void updateMessages_sameListAgain_writesNothing(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryStore adapter = adapter(store);
            List<ChatMessage> list = new ArrayList<>(adapter.getMessages("c1"));
            list.add(UserMessage.from("hello"));

            adapter.updateMessages("c1", list);
            adapter.updateMessages("c1", list);

            assertThat(texts(store, "c1")).containsExactly("user:hello");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void updateMessages_retryAfterLostReply_isADuplicateNotADouble(Stores.Kind kind) {
        try (FlakyStore store = new FlakyStore(kind.open())) {
            ConversationStoreChatMemoryStore adapter = adapter(store);
            List<ChatMessage> list = adapter.getMessages("c1");
            list.add(UserMessage.from("hello"));
            list.add(AiMessage.from("hi"));
            store.lostReplies.set(1);

            assertThatThrownBy(() -> adapter.updateMessages("c1", list))
                    .isInstanceOf(ConversationStoreUnavailableException.class);
            adapter.updateMessages("c1", list);

            assertThat(texts(store, "c1")).containsExactly("user:hello", "assistant:hi");
            assertThat(store.results).hasSize(2);
            assertThat(store.results.get(1).duplicate()).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void updateMessages_listFromElsewhere_matchesTheStoredTailByContent(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            adapter(store).updateMessages("c1", List.of(UserMessage.from("u1"), AiMessage.from("a1")));

            // a new instance that never read c1, handed a list built elsewhere (a migration, a copy)
            adapter(store).updateMessages("c1", List.of(UserMessage.from("u1"), AiMessage.from("a1"), UserMessage.from("u2")));

            assertThat(texts(store, "c1")).containsExactly("user:u1", "assistant:a1", "user:u2");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void getMessages_conversationLongerThanTheWindow_readsTheWindowWithTheSystemMessageFirst(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryStore adapter = ConversationStoreChatMemoryStore.builder()
                    .store(store).window(4).build();
            List<ChatMessage> all = new ArrayList<>();
            all.add(SystemMessage.from("Be brief."));
            for (int i = 0; i < 10; i++) {
                all.add(UserMessage.from("u" + i));
            }
            adapter.updateMessages("c1", all);

            assertThat(adapter.getMessages("c1")).containsExactly(SystemMessage.from("Be brief."),
                    UserMessage.from("u6"), UserMessage.from("u7"), UserMessage.from("u8"), UserMessage.from("u9"));
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void updateMessages_changedSystemMessage_storesItOnceAndShowsOnlyTheLatest(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryStore adapter = adapter(store);
            MessageWindowChatMemory memory = MessageWindowChatMemory.builder()
                    .id("c1").maxMessages(10).chatMemoryStore(adapter).build();
            memory.add(SystemMessage.from("Be brief."));
            memory.add(UserMessage.from("u1"));
            memory.add(SystemMessage.from("Be brief.")); // AiServices adds it on every call
            memory.add(SystemMessage.from("Be verbose."));
            memory.add(SystemMessage.from("Be verbose."));
            memory.add(UserMessage.from("u2"));

            assertThat(texts(store, "c1")).containsExactly("system:Be brief.", "user:u1", "system:Be verbose.", "user:u2");
            assertThat(adapter.getMessages("c1")).containsExactly(UserMessage.from("u1"), SystemMessage.from("Be verbose."),
                    UserMessage.from("u2"));
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void updateMessages_alwaysKeepSystemMessageFirst_storesTheNewSystemMessage(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            MessageWindowChatMemory memory = MessageWindowChatMemory.builder()
                    .id("c1").maxMessages(10).alwaysKeepSystemMessageFirst(true).chatMemoryStore(adapter(store)).build();
            memory.add(UserMessage.from("u1"));
            memory.add(SystemMessage.from("Be brief."));
            memory.add(UserMessage.from("u2"));

            assertThat(texts(store, "c1")).containsExactly("user:u1", "system:Be brief.", "user:u2");
            // issue 27 item 3: read back first, as LangChain4j's own store keeps it (it was read back in place)
            assertThat(memory.messages()).containsExactly(SystemMessage.from("Be brief."), UserMessage.from("u1"),
                    UserMessage.from("u2"));
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void deleteMessages_thenAdd_startsANewConversation(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatMemoryStore adapter = adapter(store);
            MessageWindowChatMemory memory = MessageWindowChatMemory.builder()
                    .id("c1").maxMessages(10).chatMemoryStore(adapter).build();
            SystemMessage system = SystemMessage.from("Be brief.");
            memory.add(system);
            memory.add(UserMessage.from("u1"));

            memory.clear();
            memory.add(system);
            memory.add(UserMessage.from("u2"));

            assertThat(texts(store, "c1")).containsExactly("system:Be brief.", "user:u2");
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void build_invalidLanguageOrNoStore_isRefused(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            assertThatThrownBy(() -> ConversationStoreChatMemoryStore.builder().store(store).language("english").build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("language");
            assertThatThrownBy(() -> ConversationStoreChatMemoryStore.builder().build())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("store is required");
        }
    }
}
