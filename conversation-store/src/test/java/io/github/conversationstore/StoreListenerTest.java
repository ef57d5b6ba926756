package io.github.conversationstore;

import static io.github.conversationstore.testing.FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.github.conversationstore.spi.Reply;
import io.github.conversationstore.spi.ReplyProvider;
import io.github.conversationstore.spi.ReplyProviderException;
import io.github.conversationstore.spi.StoreListener;
import io.github.conversationstore.spi.TokenUsage;
import io.github.conversationstore.spi.Tool;
import io.github.conversationstore.spi.ToolException;
import io.github.conversationstore.spi.ToolOutput;
import io.github.conversationstore.spi.ToolSpec;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import io.github.conversationstore.testing.LogCapture;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What listeners hear and what the library logs: the expected events of a scripted workload with
 * injected faults, a listener that throws, and no content anywhere (the canary test).
 */
class StoreListenerTest extends EmbeddedMongoTestBase {
    private static final String CANARY = "CANARY-7f3a";

    /** Records every event. */
    static final class Recorder implements StoreListener {
        final List<Record> events = new CopyOnWriteArrayList<>();

        @Override public void onAppend(Append e) { events.add(e); }
        @Override public void onRead(Read e) { events.add(e); }
        @Override public void onRaceAbsorbed(RaceAbsorbed e) { events.add(e); }
        @Override public void onRetry(Retry e) { events.add(e); }
        @Override public void onMove(Move e) { events.add(e); }
        @Override public void onErasure(Erasure e) { events.add(e); }
        @Override public void onSweep(Sweep e) { events.add(e); }
        @Override public void onLeaseWait(LeaseWait e) { events.add(e); }
        @Override public void onTurnStart(TurnStart e) { events.add(e); }
        @Override public void onTurn(Turn e) { events.add(e); }
        @Override public void onProviderCall(ProviderCall e) { events.add(e); }
        @Override public void onToolCall(ToolCall e) { events.add(e); }

        <E extends Record> List<E> of(Class<E> type) {
            return events.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    private LogCapture logs;
    private FaultInjectingProxy proxy;
    private MongoClient proxied;

    @BeforeEach
    void capture() throws Exception {
        logs = LogCapture.start();
        proxy = new FaultInjectingProxy(server.port());
        proxied = proxy.client();
    }

    @AfterEach
    void release() throws Exception {
        logs.close();
        proxied.close();
        proxy.close();
    }

    private String collection;

    private MongoConversationStore.Builder store(Recorder recorder) {
        collection = "c" + System.nanoTime();
        return MongoConversationStore.builder().client(proxied).database("listeners").collection(collection).listener(recorder);
    }

    @Test
    void workloadWithFaults_producesTheExpectedEvents() {
        Recorder events = new Recorder();
        try (MongoConversationStore store = store(events).maxHeadMessages(4).maxHeadBytes(2048).build()) {
            for (int i = 0; i < 10; i++) {
                store.appendMessages("s1", "es", List.of(Message.user("hola " + i), Message.assistant("hi " + i)));
            }
            proxy.arm(DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
            store.appendMessages(AppendRequest.builder("s1", "es").appendId("lost-reply").messages(Message.user("x")).build());
            proxy.armError(FaultInjectingProxy.duplicateKeyError(), "findAndModify", 1);
            store.appendMessages("s2", "es", List.of(Message.user("first")));
            store.recentMessages("s1", 5);
            store.readMessages("s1", 0, 100);
            store.findConversation("nobody");
            store.deleteConversation("s2");
            store.removeOrphanedArchives();

            List<StoreListener.Append> appends = events.of(StoreListener.Append.class);
            assertThat(appends).hasSize(12).allSatisfy(a -> assertThat(a.outcome()).isEqualTo("ok"));
            assertThat(appends.get(0).created()).isTrue();
            assertThat(appends.get(0).messages()).isEqualTo(2);
            assertThat(appends).filteredOn(a -> a.attempts() > 1).hasSize(2);
            assertThat(events.of(StoreListener.Retry.class)).singleElement().satisfies(r -> {
                assertThat(r.operation()).isEqualTo("append");
                assertThat(r.attempt()).isEqualTo(1);
            });
            // two E11000 settled: the retry of the append whose reply was lost (its first attempt had
            // applied it), and the injected one
            assertThat(events.of(StoreListener.RaceAbsorbed.class)).hasSize(2)
                    .allSatisfy(r -> assertThat(r.operation()).isEqualTo("append"));
            assertThat(events.of(StoreListener.Move.class)).isNotEmpty().allSatisfy(m -> {
                assertThat(m.messages()).isPositive();
                assertThat(m.bytes()).isPositive();
            });
            int moved = events.of(StoreListener.Move.class).stream().mapToInt(StoreListener.Move::messages).sum();
            assertThat(moved).isEqualTo(store.findConversation("s1").orElseThrow().messageCount()
                    - headMessages("s1", store));
            assertThat(events.of(StoreListener.Read.class)).extracting(StoreListener.Read::kind, StoreListener.Read::messages)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("recent", 5), org.assertj.core.groups.Tuple.tuple("page", 21),
                            org.assertj.core.groups.Tuple.tuple("header", 0), org.assertj.core.groups.Tuple.tuple("header", 1));
            assertThat(events.of(StoreListener.Erasure.class)).singleElement().satisfies(e -> assertThat(e.messages()).isEqualTo(1));
            assertThat(events.of(StoreListener.Sweep.class)).hasSize(1);
            assertThat(events.events).allSatisfy(e -> assertThat(e.toString()).doesNotContain("s1", "s2"));
        }
        assertThat(logs.lines()).anyMatch(l -> l.contains("append: attempt 1 failed")).anyMatch(l -> l.contains("moved"));
    }

    private long headMessages(String session, MongoConversationStore store) {
        org.bson.Document head = proxied.getDatabase("listeners").getCollection(collection)
                .find(new org.bson.Document("sessionId", session)).first();
        return head.getList("messages", Object.class).size();
    }

    @Test
    void failedErasureAndToolNobodyOffered_areReportedAsSuch() {
        Recorder events = new Recorder();
        MongoClient doomed = MongoClients.create(server.connectionString());
        try (MongoConversationStore store = MongoConversationStore.builder().client(doomed).database("listeners")
                .collection("doomed").listener(events).build()) {
            store.appendMessages("s1", "es", List.of(Message.user("hola")));
            doomed.close();
            assertThatThrownBy(() -> store.deleteConversation("s1")).isInstanceOf(RuntimeException.class);
        }
        assertThat(events.of(StoreListener.Erasure.class)).singleElement()
                .satisfies(e -> assertThat(e.outcome()).isNotEqualTo(StoreListener.OK))
                .satisfies(e -> assertThat(e.messages()).isZero());

        ReplyProvider model = request -> request.steps().isEmpty()
                ? Reply.of(new Part.ToolCall("c1", "made_up", "{}"), new Part.ToolCall("c2", "lookup", "{}"))
                : Reply.of("done");
        Tool lookup = Tool.of(new ToolSpec("lookup", "Looks up.", "{\"type\":\"object\"}"), call -> ToolOutput.text("ok"));
        try (ConversationStore store = InMemoryConversationStore.create();
                TurnService turns = TurnService.builder(store).provider(model).tools(lookup).listener(events).build()) {
            turns.respond("s1", "es", "hi", "t1");
        }
        assertThat(events.of(StoreListener.ToolCall.class))
                .extracting(StoreListener.ToolCall::tool, StoreListener.ToolCall::offered, StoreListener.ToolCall::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("made_up", false, "error_result"),
                        org.assertj.core.groups.Tuple.tuple("lookup", true, "ok"));
    }

    @Test
    void exposeSessionIds_namesTheSessionInEvents() {
        Recorder events = new Recorder();
        try (MongoConversationStore store = store(events).exposeSessionIds(true).build()) {
            store.appendMessages("s1", "es", List.of(Message.user("hola")));
        }
        assertThat(events.of(StoreListener.Append.class)).singleElement().satisfies(a -> assertThat(a.sessionId()).isEqualTo("s1"));
    }

    @Test
    void listenerThatThrows_neverBreaksAnOperationAndIsLoggedAtWarning() {
        StoreListener broken = new StoreListener() {
            @Override
            public void onAppend(Append event) {
                throw new IllegalStateException("listener bug " + CANARY);
            }
        };
        Recorder after = new Recorder();
        try (ConversationStore store = InMemoryConversationStore.builder().listener(broken).listener(after).build()) {
            AppendResult result = store.appendMessages("s1", "es", List.of(Message.user("hola")));

            assertThat(result.firstSequence()).isZero();
            assertThat(after.of(StoreListener.Append.class)).hasSize(1);
        }
        assertThat(logs.records()).anySatisfy(r -> {
            assertThat(r.getLevel()).isEqualTo(Level.WARNING);
            assertThat(new java.util.logging.SimpleFormatter().formatMessage(r)).contains("IllegalStateException");
        });
        assertThat(logs.lines()).noneMatch(l -> l.contains(CANARY));
    }

    @Test
    void canary_inEveryFieldOfEveryOperation_appearsInNoEventAndNoLogLine() {
        Recorder events = new Recorder();
        String session = "session-" + CANARY;
        Message rich = new Message("id-" + CANARY, Role.ASSISTANT, List.of(Part.text("text " + CANARY),
                Part.Reasoning.of("thinking " + CANARY, "sig-" + CANARY),
                new Part.ToolCall("call-" + CANARY, "tool", "{\"q\":\"" + CANARY + "\"}")), java.time.Instant.now(),
                Map.of("attr", "value " + CANARY), Map.of("meta", Map.of("deep", CANARY)));
        Message media = Message.of(Role.USER, Part.text(CANARY), Part.Media.of("image/png", URI.create("https://x/" + CANARY)));
        Tool tool = Tool.of(new ToolSpec("lookup", "Looks up.", "{\"type\":\"object\"}"), call -> {
            if (call.arguments().contains("fail")) {
                throw new ToolException("tool failed on " + CANARY, false, null);
            }
            return ToolOutput.text("result " + CANARY);
        });
        ReplyProvider model = request -> {
            if (request.userMessage().text().contains("provider-down")) {
                throw new ReplyProviderException("down " + CANARY, true, null);
            }
            if (request.steps().isEmpty()) {
                return Reply.of(Part.text("calling " + CANARY), new Part.ToolCall("c-" + CANARY, "lookup", "{\"x\":\"" + CANARY + "\"}"),
                        new Part.ToolCall("c2-" + CANARY, "lookup", "{\"fail\":\"" + CANARY + "\"}"));
            }
            return Reply.of("reply " + CANARY).withModel("model-x").withUsage(new TokenUsage(3, 4)).withMetadata("k", CANARY);
        };
        try (MongoConversationStore store = store(events).maxHeadMessages(4).maxHeadBytes(2048).build();
                TurnService turns = TurnService.builder(store).provider(model).tools(tool).listener(events)
                        .retryBackoff(Duration.ofMillis(1)).build()) {
            store.appendMessages(AppendRequest.builder(session, "es").appendId("append-" + CANARY)
                    .headerAttribute("h", "header " + CANARY).messages(rich, media).build());
            proxy.arm(DROP_REPLY_AFTER_APPLY, "findAndModify", 1);
            store.appendMessages(AppendRequest.builder(session, "es").appendId("again-" + CANARY).messages(media).build());
            turns.respond(session, "es", "user text " + CANARY, "turn-" + CANARY);
            assertThatThrownBy(() -> turns.respond(session, "es", "provider-down " + CANARY, "turn2-" + CANARY))
                    .hasMessageContaining(CANARY);
            assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder(session, "es").appendId("append-" + CANARY)
                    .messages(media).build())).isInstanceOf(AppendConflictException.class);
            store.recentMessages(session, 10);
            store.readMessages(session, 0, 100);
            store.findConversation(session);
            store.deleteConversation(session);
            store.removeOrphanedArchives();
        }
        assertThat(events.events).hasSizeGreaterThan(20);
        assertThat(events.of(StoreListener.ToolCall.class)).extracting(StoreListener.ToolCall::outcome)
                .containsExactly("ok", "error_result");
        assertThat(events.of(StoreListener.ProviderCall.class)).extracting(StoreListener.ProviderCall::outcome)
                .containsExactly("ok", "ok", "ReplyFailedException");
        assertThat(events.of(StoreListener.Retry.class)).isNotEmpty();
        assertThat(events.of(StoreListener.Move.class)).isNotEmpty();
        assertThat(events.events).allSatisfy(e -> assertThat(e.toString()).doesNotContain(CANARY));
        assertThat(logs.lines()).isNotEmpty().allSatisfy(l -> assertThat(l).doesNotContain(CANARY));
    }
}
