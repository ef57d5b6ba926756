package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import io.github.conversationstore.testing.EmbeddedMongo;
import io.github.conversationstore.testing.ShardKeyChecker;
import io.github.conversationstore.spi.Reply;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every command of every public operation carries the documented shard key of its collection
 * (docs/SHARDING.md), so that on a sharded cluster each one goes to the shards of one session.
 * A {@link ShardKeyChecker} on the client sees every command while the workload drives both store
 * paths (the library's own heads and an original backend's collection), erasure, the sweep,
 * leases, archive moves on tiny heads (also an interrupted one, resumed), and the turn service with
 * a tool turn. Any command outside the short allow-list fails the test. The adapters run the same
 * checker in their own modules.
 */
class ShardKeyTargetingTest {
    private static EmbeddedMongo server;
    private static MongoClient plain;

    @BeforeAll
    static void start() {
        server = new EmbeddedMongo();
        plain = server.client();
    }

    @AfterAll
    static void stop() {
        plain.close();
        server.close();
    }

    @Test
    void everyCommandOfEveryOperation_carriesTheShardKeyOrIsAllowed() throws Exception {
        ShardKeyChecker checker = new ShardKeyChecker();
        String database = "targeting" + System.nanoTime();
        try (MongoClient recorded = server.client(checker)) {
            drive(recorded, plain, database, "conversations", checker::operation);
            checker.operation("original backend's documents: read, adopt, append, list, lease, delete, sweep");
            driveOriginalBackend(recorded, plain, database + "_old");
        }
        System.out.println("Commands seen, by verdict:\n" + checker.report());
        System.out.println("Commands seen, by operation:\n" + checker.reportByOperation());
        assertThat(checker.violations()).isEmpty();
        // the workload reached every path it is meant to check
        assertThat(checker.summary().keySet()).anyMatch(k -> k.startsWith("targeted: findAndModify (update) heads"))
                .anyMatch(k -> k.startsWith("targeted: insert archive"))
                .anyMatch(k -> k.startsWith("targeted: find archive"))
                .anyMatch(k -> k.startsWith("targeted: deleteMany archive"))
                .anyMatch(k -> k.startsWith("targeted: updateOne (upsert) heads"))
                .anyMatch(k -> k.contains("(sweep)"))
                .anyMatch(k -> k.contains("(listing)"))
                .anyMatch(k -> k.startsWith("targeted: insert summaries"))
                .anyMatch(k -> k.startsWith("targeted: find summaries"))
                .anyMatch(k -> k.startsWith("targeted: deleteMany summaries"))
                .anyMatch(k -> k.startsWith("targeted: findAndModify (upsert) drafts"))
                .anyMatch(k -> k.startsWith("targeted: updateMany drafts"));
    }

    /** Every public operation of the store on its own heads, then the turn service. */
    static void drive(MongoClient recorded, MongoClient plain, String database, String collection) throws Exception {
        drive(recorded, plain, database, collection, operation -> { });
    }

    /** The same, naming each operation to {@code operation} before it runs. */
    static void drive(MongoClient recorded, MongoClient plain, String database, String collection,
            Consumer<String> operation) throws Exception {
        operation.accept("build (index creation)");
        MongoConversationStore store = MongoConversationStore.builder().client(recorded).database(database)
                .collection(collection).maxHeadMessages(4).maxHeadBytes(4096)
                .expireAfterInactivity(Duration.ofDays(30)).build();
        operation.accept("append (new, repeated, conflicting; moves on tiny heads)");
        // appends: new, repeated, conflicting, beyond the window, fenced with renewal; moves on tiny heads
        for (int i = 0; i < 12; i++) {
            store.appendMessages(AppendRequest.builder("s1", "es").appendId("a" + i)
                    .messages(Message.user("hola " + i), Message.assistant("buenas " + i)).build());
        }
        assertThat(store.appendMessages(AppendRequest.builder("s1", "es").appendId("a3")
                .messages(Message.user("hola 3"), Message.assistant("buenas 3")).build()).duplicate()).isTrue();
        assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s1", "es").appendId("a3")
                .messages(Message.user("other")).build())).isInstanceOf(AppendConflictException.class);
        operation.accept("append beyond the dedup window");
        store.appendMessages(AppendRequest.builder("s1", "es").appendId("a1").dedupBeyondWindow(true)
                .messages(Message.user("hola 1"), Message.assistant("buenas 1")).build());
        store.appendMessages(AppendRequest.builder("s1", "es").appendId("b1").dedupBeyondWindow(true)
                .messages(Message.user("new")).build());
        operation.accept("append expecting a sequence (matching, then refused)");
        long next = store.findConversation("s1").orElseThrow().messageCount();
        store.appendMessages(AppendRequest.builder("s1", "es").appendId("e1").expectedSequence(next)
                .messages(Message.user("expected")).build());
        assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s1", "es").appendId("e2")
                .expectedSequence(next).messages(Message.user("stale")).build()))
                .isInstanceOf(SequenceMismatchException.class);
        operation.accept("leases and fenced appends (acquire, refuse, renew, release)");
        assertThat(store.tryAcquireLease("s1", "es", "me", Duration.ofSeconds(30))).isTrue();
        assertThat(store.tryAcquireLease("s1", "es", "other", Duration.ofSeconds(30))).isFalse();
        assertThat(store.tryAcquireLease("s1", "es", "me", "turn-1", Duration.ofSeconds(30))).isTrue();
        store.appendMessages(AppendRequest.builder("s1", "es").appendId("f1").leaseHolder("me")
                .renewLease(Duration.ofSeconds(30)).messages(Message.user("fenced")).build());
        assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s1", "es").appendId("f2")
                .leaseHolder("intruder").messages(Message.user("fenced out")).build()))
                .isInstanceOf(LeaseLostException.class);
        assertThat(store.renewLease("s1", "me", Duration.ofSeconds(30))).isTrue();
        store.releaseLease("s1", "me");
        assertThat(store.tryAcquireLease("s-new", "es", "me", Duration.ofSeconds(30))).isTrue(); // creates a head
        operation.accept("archive move interrupted after its copy, resumed");
        // an interrupted move, resumed: the chunk is there, the trim is not
        AtomicBoolean crash = new AtomicBoolean(true);
        store.onMoveStep(step -> {
            if (step.equals("copied") && crash.getAndSet(false)) {
                throw new IllegalStateException("mover dies after copying");
            }
        });
        for (int i = 0; i < 6; i++) {
            store.appendMessages("s2", "es", List.of(Message.user("q " + i), Message.assistant("r " + i)));
        }
        store.onMoveStep(step -> { });
        assertThat(crash).isFalse();
        operation.accept("reads (window, pages from head and archive, header)");
        // reads: window, pages from head and archive, header, listing
        assertThat(store.recentMessages("s1", 3)).hasSize(3);
        assertThat(store.recentMessages("s1", 20)).hasSize(20);
        assertThat(store.readMessages("s1", 0, 5)).hasSize(5);
        assertThat(store.readMessages("s1", 3, 30)).isNotEmpty();
        assertThat(store.readMessages("s2", 0, 100)).hasSize(12);
        assertThat(store.findConversation("s1")).isPresent();
        assertThat(store.findConversation("nobody")).isEmpty();
        operation.accept("listConversationIds");
        assertThat(store.listConversationIds(null, 10)).contains("s1", "s2");
        assertThat(store.listConversationIds("s1", 1)).containsExactly("s2");
        assertThat(store.listConversationIds(null, 10_000)).contains("s1", "s2"); // a page as large as Spring AI's
        operation.accept("deleteConversation, a retry of an erased append, a revive");
        // erasure, a retry of an erased append, a revive
        assertThat(store.deleteConversation("s2")).isEqualTo(12);
        assertThat(store.deleteConversation("s2")).isZero();
        store.deleteConversation("s1");
        assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s1", "es").appendId("a11")
                .messages(Message.user("hola 11"), Message.assistant("buenas 11")).build()))
                .isInstanceOf(AppendErasedException.class);
        store.appendMessages("s1", "es", List.of(Message.user("again")));
        operation.accept("summaries: write, repeat, read, token window");
        Summary first = store.writeSummary("s1", Summary.of(0, 1, "the start", 3));
        assertThat(store.writeSummary("s1", Summary.of(0, 1, "the start", 3))).isEqualTo(first);
        assertThat(store.summaries("s1")).containsExactly(first);
        assertThat(store.contextWindow("s1", 100).summary()).contains(first);
        operation.accept("fork, its repeat, a fork of a fork, reads across the boundaries, listForks");
        for (int i = 0; i < 6; i++) {
            store.appendMessages("k1", "es", List.of(Message.user("q " + i), Message.assistant("r " + i)));
        }
        store.writeSummary("k1", Summary.of(0, 2, "k1's start", 3));
        store.fork("k1", 11, "k2");
        store.fork("k1", 11, "k2");
        store.appendMessages("k2", "es", List.of(Message.user("own 1"), Message.assistant("own 2")));
        store.fork("k2", 12, "k3");
        assertThatThrownBy(() -> store.fork("k1", 99, "k4")).isInstanceOf(IllegalArgumentException.class);
        assertThat(store.readMessages("k3", 0, 100)).hasSize(12);
        assertThat(store.recentMessages("k3", 20)).hasSize(12);
        assertThat(store.summaries("k3")).hasSize(1);
        assertThat(store.contextWindow("k3", 1000).summary()).isPresent();
        assertThat(store.listForks("k1", null, 10)).hasSize(1);
        operation.accept("deleteConversation of a forked parent, then of its forks");
        store.deleteConversation("k1");
        assertThat(store.readMessages("k3", 0, 100)).hasSize(12);
        store.deleteConversation("k2");
        store.deleteConversation("k3");
        operation.accept("owners: appends naming one, a refused other owner");
        // owners: appends naming one, a refused other owner, listing pages, erasing an owner (one interrupted)
        Owner ana = Owner.of("tutor", "ana");
        for (int i = 0; i < 6; i++) {
            store.appendMessages(AppendRequest.builder("o" + (i % 3), "es").owner(ana)
                    .messages(Message.user("q " + i), Message.assistant("r " + i)).build());
        }
        assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("o1", "es").owner(Owner.of("ben"))
                .messages(Message.user("not yours")).build())).isInstanceOf(OwnerMismatchException.class);
        store.writeSummary("o0", Summary.of(0, 2, "ana's start", 3)); // erased with its owner
        operation.accept("listConversations(owner)");
        assertThat(store.listConversations(ana, null, 2)).hasSize(2);
        assertThat(store.listConversations(ana, "o1", 10_000)).hasSize(1);
        operation.accept("eraseOwner (one interrupted, then finished)");
        AtomicBoolean eraseCrash = new AtomicBoolean(true);
        store.onMoveStep(step -> {
            if (step.equals("erase:tombstone") && eraseCrash.getAndSet(false)) {
                throw new IllegalStateException("dies between tombstone and archive");
            }
        });
        assertThatThrownBy(() -> store.eraseOwner(ana)).hasMessageContaining("dies");
        store.onMoveStep(step -> { });
        assertThat(store.eraseOwner(ana).conversations()).isEqualTo(2);
        operation.accept("retention: appends, then the sweep (removeOrphanedArchives)");
        // retention: the TTL monitor removes heads (done here by hand), the sweep removes their chunks
        for (int s = 0; s < 5; s++) {
            for (int i = 0; i < 6; i++) {
                store.appendMessages("r" + s, "es", List.of(Message.user("q " + i), Message.assistant("r " + i)));
            }
        }
        plain.getDatabase(database).getCollection(collection).deleteMany(new Document("sessionId",
                new Document("$in", List.of("r0", "r2", "r4"))));
        assertThat(store.removeOrphanedArchives()).isPositive();
        assertThat(store.removeOrphanedArchives()).isZero();
        operation.accept("turn service: a tool turn, its replay, a plain turn");
        // the turn service with a tool turn
        AbstractToolTurnTest.CountingTool conjugate = AbstractToolTurnTest.conjugate();
        AbstractToolTurnTest.ToolModel model = new AbstractToolTurnTest.ToolModel(1, List.of("conjugate"), "{\"verb\":\"ir\"}");
        try (TurnService turns = TurnService.builder(store).provider(model).tools(conjugate)
                .replyTimeout(Duration.ofSeconds(5)).toolTimeout(Duration.ofSeconds(5)).build()) {
            assertThat(turns.respond("t", "es", "conjugate ir", "turn-1").reply().text()).startsWith("done:");
            assertThat(turns.respond("t", "es", "conjugate ir", "turn-1").replayed()).isTrue();
            assertThat(turns.respond("t", "es", "and now?").reply().text()).startsWith("done:");
        }
        operation.accept("turn service with compaction: turns that summarize");
        Compaction compaction = Compaction.builder().triggerTokens(60).keepTokens(20).summaryTokens(20)
                .summarizer(request -> Message.system("summary")).build();
        try (TurnService turns = TurnService.builder(store).provider(ScriptedReplyProvider.of(request -> Reply.of("ok")))
                .compaction(compaction).build()) {
            for (int i = 0; i < 6; i++) {
                turns.respond("c", "es", "message number " + i + " of a conversation that grows");
            }
            assertThat(store.summaries("c")).isNotEmpty();
        }
        operation.accept("streaming turns: drafts, a follower, a stop, an interrupting turn");
        io.github.conversationstore.spi.StreamingReplyProvider words = (request, deltas) -> {
            for (int i = 0; i < 5; i++) {
                deltas.accept("word" + i + " ");
            }
            return Reply.of("word0 word1 word2 word3 word4 ");
        };
        try (TurnService turns = TurnService.builder(store).provider(words).draftInterval(Duration.ofMillis(1))
                .busyPolicy(BusyPolicy.INTERRUPT).build()) {
            assertThat(turns.respond("d", "en", "stream it", "stream-1").reply().text()).startsWith("word0");
            assertThat(turns.followTurn("d", "stream-1", 2, delta -> { }, Duration.ofSeconds(5))).isPresent();
            assertThat(turns.stop("d", "stream-1")).isFalse();
            // a turn that finds the session busy asks the other turns to stop
            assertThat(store.tryAcquireLease("d", "en", "someone", Duration.ofSeconds(2))).isTrue();
            assertThat(turns.respond("d", "en", "interrupting", "stream-2").reply().text()).startsWith("word0");
        }
        store.close();
    }

    /** The original backend's documents, adopted on first touch, then every operation on them. */
    static void driveOriginalBackend(MongoClient recorded, MongoClient plain, String database) {
        MongoCollection<Document> old = plain.getDatabase(database).getCollection("conversations");
        old.createIndex(Indexes.ascending("sessionId"), new IndexOptions().unique(true).name("sessionId_1"));
        for (String session : List.of("old-1", "old-2", "old-3")) {
            List<Document> messages = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                messages.add(new Document("_id", new ObjectId()).append("role", i % 2 == 0 ? "user" : "bot")
                        .append("text", "old " + i).append("timestamp", Date.from(Instant.parse("2025-06-01T10:00:00Z"))));
            }
            old.insertOne(new Document("sessionId", session).append("language", "es").append("messages", messages)
                    .append("createdAt", Date.from(Instant.parse("2025-06-01T09:59:00Z"))).append("__v", 0));
        }
        MongoConversationStore store = MongoConversationStore.builder().client(recorded).database(database)
                .forOriginalBackend().maxHeadMessages(4).maxHeadBytes(4096).build();
        assertThat(store.recentMessages("old-1", 3)).hasSize(3);
        assertThat(store.findConversation("old-2")).isPresent();
        assertThat(store.readMessages("old-2", 0, 4)).hasSize(4);
        store.appendMessages("old-1", "es", List.of(Message.user("new"), Message.assistant("nuevo")));
        store.appendMessages("old-1", "es", List.of(Message.user("newer")));
        assertThat(store.readMessages("old-1", 0, 100)).hasSize(12);
        store.appendMessages(AppendRequest.builder("old-3", "es").appendId("x").dedupBeyondWindow(true)
                .messages(Message.user("beyond")).build());
        assertThat(store.listConversationIds(null, 10)).containsExactly("old-1", "old-2", "old-3");
        assertThat(store.tryAcquireLease("old-2", "es", "me", Duration.ofSeconds(30))).isTrue();
        store.releaseLease("old-2", "me");
        assertThat(store.deleteConversation("old-1")).isEqualTo(12);
        store.removeOrphanedArchives();
        store.close();
    }
}
