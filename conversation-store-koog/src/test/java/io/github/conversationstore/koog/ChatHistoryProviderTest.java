package io.github.conversationstore.koog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.koog.prompt.message.Message;
import ai.koog.prompt.message.MessagePart;
import ai.koog.prompt.message.RequestMetaInfo;
import ai.koog.prompt.message.ResponseMetaInfo;
import io.github.conversationstore.AppendRequest;
import io.github.conversationstore.AppendResult;
import io.github.conversationstore.ConversationStore;
import io.github.conversationstore.ConversationStoreUnavailableException;
import io.github.conversationstore.Owner;
import io.github.conversationstore.Role;
import io.github.conversationstore.StoredMessage;
import io.github.conversationstore.testing.ForwardingConversationStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import kotlin.Unit;
import kotlin.coroutines.Continuation;
import kotlin.coroutines.CoroutineContext;
import kotlin.coroutines.EmptyCoroutineContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What Koog's ChatMemory hands a provider (the whole prompt, windowed or not), on every store. */
class ChatHistoryProviderTest {
    static Stream<Stores.Kind> stores() {
        return Stores.all();
    }

    private static kotlin.time.Instant at(long millis) {
        return kotlin.time.Instant.Companion.fromEpochMilliseconds(millis);
    }

    static Message.System system(String text) {
        return new Message.System(text, new RequestMetaInfo(at(1_000), null), null, null);
    }

    static Message.User user(String text) {
        return new Message.User(text, new RequestMetaInfo(at(System.currentTimeMillis()), null), null, null);
    }

    static Message.Assistant assistant(String text) {
        return new Message.Assistant(text, new ResponseMetaInfo(at(System.currentTimeMillis()), 30, 20, 10, "m1", null),
                "stop", null, null);
    }

    static Message.Assistant call(String id, String city) {
        return new Message.Assistant(List.of(new MessagePart.Text("Let me look.", null),
                new MessagePart.Tool.Call(id, "weather", "{\"city\":\"" + city + "\"}")),
                new ResponseMetaInfo(at(System.currentTimeMillis()), null, null, null, null, null), null, null, null);
    }

    static Message.User result(String id, String weather) {
        return new Message.User(List.of(new MessagePart.Tool.Result(id, "weather", weather, false)),
                new RequestMetaInfo(at(System.currentTimeMillis()), null), null);
    }

    private static long count(ConversationStore store, String id) {
        return store.findConversation(id).map(h -> h.messageCount()).orElse(0L);
    }

    /** A continuation for calling the suspend functions from Java: they complete without suspending. */
    static final class Direct implements Continuation<Object> {
        @Override
        public CoroutineContext getContext() {
            return EmptyCoroutineContext.INSTANCE;
        }

        @Override
        public void resumeWith(Object result) {
            throw new AssertionError("the provider never suspends");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void everyMessageKind_readsBackEqual_throughTheSuspendFunctions(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatHistoryProvider provider = ConversationStoreChatHistoryProvider.builder(store).build();
            List<Message> history = List.of(system("Be brief."), user("Weather in Lima?"), call("c1", "Lima"),
                    result("c1", "sunny"), assistant("Sunny."),
                    new Message.Assistant(List.of(new MessagePart.Reasoning("thinking", null, null, null),
                            new MessagePart.Text("Done.", null)), ResponseMetaInfo.Companion.getEmpty(), null, null, "a-7"));

            assertThat(provider.store("c", history, new Direct())).isSameAs(Unit.INSTANCE);
            Object loaded = ConversationStoreChatHistoryProvider.builder(store).build().load("c", new Direct());

            assertThat(loaded).isEqualTo(history);
            List<StoredMessage> stored = store.readMessages("c", 0, 10);
            assertThat(stored).extracting(StoredMessage::role).containsExactly(Role.SYSTEM, Role.USER, Role.ASSISTANT,
                    Role.TOOL, Role.ASSISTANT, Role.ASSISTANT);
            assertThat(stored.get(2).message().toolCalls().get(0).callId()).isEqualTo("c1");
            assertThat(stored.get(3).message().toolResults().get(0).content()).isEqualTo("sunny");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void store_appendsOnlyTheNewSuffix_andTheSameListTwiceOnce(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatHistoryProvider provider = ConversationStoreChatHistoryProvider.builder(store).build();
            List<Message> first = List.of(system("Be brief."), user("u1"), assistant("a1"));
            provider.storeMessages("c", first);
            provider.storeMessages("c", first);

            List<Message> loaded = provider.loadMessages("c");
            List<Message> next = new ArrayList<>(loaded);
            next.add(user("u2"));
            next.add(assistant("a2"));
            provider.storeMessages("c", next);
            // Koog's windowSize(2) pre-processor hands only the last two: nothing is deleted
            provider.storeMessages("c", next.subList(3, 5));

            assertThat(count(store, "c")).isEqualTo(5);
            assertThat(provider.loadMessages("c")).isEqualTo(next);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void twoInstances_thatLoadedTheSameHistory_bothKeepTheirTurns_asContiguousPairs(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatHistoryProvider a = ConversationStoreChatHistoryProvider.builder(store).build();
            ConversationStoreChatHistoryProvider b = ConversationStoreChatHistoryProvider.builder(store).build();
            a.storeMessages("c", List.of(system("Be brief."), user("u1"), assistant("a1")));
            List<Message> seenByA = new ArrayList<>(a.loadMessages("c"));
            List<Message> seenByB = new ArrayList<>(b.loadMessages("c"));
            seenByA.addAll(List.of(user("from a"), call("ca", "Lima"), result("ca", "sunny"), assistant("a: sunny")));
            seenByB.addAll(List.of(user("from b"), call("cb", "Oslo"), result("cb", "snow"), assistant("b: snow")));

            a.storeMessages("c", seenByA);
            b.storeMessages("c", seenByB);

            List<StoredMessage> stored = store.readMessages("c", 0, 20);
            assertThat(stored).hasSize(11);
            assertThat(stored.subList(3, 7)).extracting(StoredMessage::text)
                    .containsExactly("from a", "Let me look.", "", "a: sunny");
            assertThat(stored.subList(7, 11)).extracting(StoredMessage::text)
                    .containsExactly("from b", "Let me look.", "", "b: snow");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aListNeverSeen_afterARestart_isMatchedByContent(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            List<Message> history = new ArrayList<>(List.of(system("Be brief."), user("u1"), assistant("a1")));
            ConversationStoreChatHistoryProvider.builder(store).build().storeMessages("c", history);

            // another JVM holding equal copies (say, from its own cache) adds a turn
            List<Message> copies = new ArrayList<>();
            for (Message m : history) {
                copies.add(KoogCodec.toKoog(KoogCodec.toStored(m)));
            }
            copies.add(user("u2"));
            ConversationStoreChatHistoryProvider.builder(store).build().storeMessages("c", copies);

            assertThat(store.readMessages("c", 0, 10)).extracting(StoredMessage::text)
                    .containsExactly("Be brief.", "u1", "a1", "u2");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void copiesOfALoadedWindow_withTheSystemPromptFirst_areMatchedByContent(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatHistoryProvider provider = ConversationStoreChatHistoryProvider.builder(store).window(2)
                    .build();
            provider.storeMessages("c", List.of(system("Be brief."), user("u1"), assistant("a1"), user("u2"),
                    assistant("a2")));
            List<Message> window = provider.loadMessages("c"); // [system, u2, a2]: not contiguous in the store
            List<Message> copies = new ArrayList<>();
            for (Message m : window) {
                copies.add(KoogCodec.toKoog(KoogCodec.toStored(m)));
            }
            copies.add(user("u3"));

            ConversationStoreChatHistoryProvider.builder(store).build().storeMessages("c", copies);

            assertThat(window).hasSize(3);
            assertThat(store.readMessages("c", 0, 10)).extracting(StoredMessage::text)
                    .containsExactly("Be brief.", "u1", "a1", "u2", "a2", "u3");
        }
    }

    /** Loses the reply of the next append, after the write. */
    static final class LosingStore extends ForwardingConversationStore {
        final AtomicInteger lose = new AtomicInteger();

        LosingStore(ConversationStore delegate) {
            super(delegate);
        }

        @Override
        public AppendResult appendMessages(AppendRequest request) {
            AppendResult result = super.appendMessages(request);
            if (lose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new ConversationStoreUnavailableException("injected: reply lost", null);
            }
            return result;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aStoreRepeatedAfterALostReply_isAppliedOnce(Stores.Kind kind) {
        try (ConversationStore base = kind.open()) {
            LosingStore store = new LosingStore(base);
            ConversationStoreChatHistoryProvider provider = ConversationStoreChatHistoryProvider.builder(store).build();
            List<Message> history = List.of(system("Be brief."), user("u1"), assistant("a1"));
            store.lose.set(1);

            assertThatThrownBy(() -> provider.storeMessages("c", history))
                    .isInstanceOf(ConversationStoreUnavailableException.class);
            provider.storeMessages("c", history);

            assertThat(count(base, "c")).isEqualTo(3);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void load_readsTheWindow_withTheSystemPromptFirst_andNeverACallWithoutItsResult(Stores.Kind kind) {
        try (ConversationStore store = kind.open()) {
            ConversationStoreChatHistoryProvider provider = ConversationStoreChatHistoryProvider.builder(store).window(3)
                    .owner(id -> Owner.of("koog-app", "ana")).build();
            List<Message> history = List.of(system("Be brief."), user("u1"), assistant("a1"), user("u2"),
                    call("c1", "Lima"), result("c1", "sunny"), assistant("Sunny."));
            provider.storeMessages("c", history);

            // the last 3: the call, its result and the answer, after the system prompt
            assertThat(provider.loadMessages("c")).containsExactly(history.get(0), history.get(4), history.get(5),
                    history.get(6));
            // a window of 2 would cut between the call and its result: the result is left out with it
            ConversationStoreChatHistoryProvider two = ConversationStoreChatHistoryProvider.builder(store).window(2).build();
            assertThat(two.loadMessages("c")).containsExactly(history.get(0), history.get(6));
            assertThat(store.listConversations(Owner.of("koog-app", "ana"), null, 10)).hasSize(1);
        }
    }

    @Test
    void badInput_isNamed_andStoresNothing() {
        try (ConversationStore store = Stores.all().findFirst().orElseThrow().open()) {
            ConversationStoreChatHistoryProvider provider = ConversationStoreChatHistoryProvider.builder(store).build();
            List<Message> withNull = new ArrayList<>();
            withNull.add(user("u1"));
            withNull.add(null);

            assertThatThrownBy(() -> provider.storeMessages(null, List.of())).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("conversationId");
            assertThatThrownBy(() -> provider.storeMessages(" ", List.of(user("u1"))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sessionId");
            assertThatThrownBy(() -> provider.storeMessages("c", withNull)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> provider.storeMessages("c", List.of(user("x".repeat(70 * 1024)))))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ConversationStoreChatHistoryProvider.builder(store).window(0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("window");
            assertThat(store.findConversation("c")).isEmpty();
            assertThat(provider.loadMessages("never")).isEmpty();
        }
    }

    @Test
    void twoInstancesFourThreadsEach_oneConversation_loseAndDoubleNothing() throws Exception {
        String database = Stores.newDatabase();
        try (ConversationStore a = io.github.conversationstore.MongoConversationStore.builder()
                        .connectionString(Stores.server().connectionString()).database(database).build();
                ConversationStore b = io.github.conversationstore.MongoConversationStore.builder()
                        .connectionString(Stores.server().connectionString()).database(database).build()) {
            ConversationStoreChatHistoryProvider[] providers = {
                ConversationStoreChatHistoryProvider.builder(a).window(20).build(),
                ConversationStoreChatHistoryProvider.builder(b).window(20).build()};
            providers[0].storeMessages("c", List.of(system("Be brief.")));
            ExecutorService pool = Executors.newFixedThreadPool(8);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            int turns = 10;
            for (int i = 0; i < 8; i++) {
                int worker = i;
                done.add(pool.submit(() -> {
                    start.await();
                    ConversationStoreChatHistoryProvider provider = providers[worker % 2];
                    for (int t = 0; t < turns; t++) {
                        // one agent run: load, add a turn with a tool round, store the whole prompt
                        List<Message> prompt = new ArrayList<>(provider.loadMessages("c"));
                        String id = "w" + worker + "-" + t;
                        prompt.addAll(List.of(user("q " + id), call(id, id), result(id, "r " + id), assistant("a " + id)));
                        provider.storeMessages("c", prompt);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
            pool.shutdown();

            List<StoredMessage> stored = a.readMessages("c", 0, 1000);
            assertThat(stored).hasSize(1 + 8 * turns * 4);
            for (int i = 1; i < stored.size(); i += 4) {
                String id = stored.get(i).text().substring(2);
                assertThat(stored.get(i + 1).message().toolCalls().get(0).callId()).isEqualTo(id);
                assertThat(stored.get(i + 2).message().toolResults().get(0).callId()).isEqualTo(id);
                assertThat(stored.get(i + 3).text()).isEqualTo("a " + id);
            }
            // every turn once: no lost and no doubled question
            assertThat(stored.stream().map(StoredMessage::text).filter(t -> t.startsWith("q ")).distinct().count())
                    .isEqualTo(8L * turns);
        }
    }
}
