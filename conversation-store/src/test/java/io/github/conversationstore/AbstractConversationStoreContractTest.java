package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviour every {@link ConversationStore} must have. Subclasses supply a fresh, empty store
 * for each test: in memory, on the embedded server, on Testcontainers, on {@code MONGODB_URI}.
 */
@SuppressWarnings("deprecation") // the tutor attributes, deprecated in 0.3, keep working
abstract class AbstractConversationStoreContractTest implements MessageModelContract, OwnerContract,
        ExpectedSequenceContract, RequireExistingContract, SummaryContract, ForkContract {

    protected ConversationStore store;

    /** Returns a new store over empty storage. */
    protected abstract ConversationStore createStore();

    @Override
    public ConversationStore store() {
        return store;
    }

    /** In memory: what the store's lives still hold; a Mongo subclass reads the raw documents. */
    @Override
    public java.util.Set<String> storedTexts(java.util.Collection<String> texts) {
        if (store instanceof InMemoryConversationStore memory) {
            java.util.Set<String> held = new java.util.TreeSet<>(memory.heldTexts());
            held.retainAll(texts);
            return held;
        }
        return null;
    }

    @BeforeEach
    void openStore() {
        store = createStore();
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    static Message msg(Role role, String text) {
        return Message.of(role, text);
    }

    static List<Message> pair(String user, String bot) {
        return List.of(Message.user(user), Message.assistant(bot).withAttribute(Message.TRANSLATION, "t:" + bot));
    }

    @Test
    void appendMessages_newSession_createsConversationAtSequenceZero() {
        List<Message> messages = pair("hola", "hi");

        AppendResult result = store.appendMessages("s1", "es", messages);

        assertThat(result.firstSequence()).isZero();
        assertThat(result.messageCount()).isEqualTo(2);
        assertThat(result.lastSequence()).isEqualTo(1);
        assertThat(result.conversationCreated()).isTrue();
        assertThat(result.duplicate()).isFalse();
        assertThat(store.recentMessages("s1", 10)).extracting(StoredMessage::message).containsExactlyElementsOf(messages);
        assertThat(store.recentMessages("s1", 10)).extracting(StoredMessage::sequence).containsExactly(0L, 1L);
    }

    @Test
    void appendMessages_existingSession_continuesSequence() {
        store.appendMessages("s1", "es", pair("a", "b"));

        AppendResult second = store.appendMessages("s1", "es", List.of(Message.user("c"), Message.assistant("d"), Message.user("e")));

        assertThat(second.firstSequence()).isEqualTo(2);
        assertThat(second.conversationCreated()).isFalse();
        assertThat(store.readMessages("s1", 0, 100)).extracting(StoredMessage::text).containsExactly("a", "b", "c", "d", "e");
        assertThat(store.readMessages("s1", 0, 100)).extracting(StoredMessage::sequence).containsExactly(0L, 1L, 2L, 3L, 4L);
    }

    @Test
    void appendMessages_roundTripsEveryMessageField() {
        Message original = new Message("m-1", Role.SYSTEM, "be kind", Instant.parse("2026-01-02T03:04:05.678Z"),
                Map.of(Message.GRAMMAR_SUGGESTION, "none", Message.TRANSLATION, "sé amable", "custom", "x"));

        store.appendMessages("s1", "es", List.of(original));

        assertThat(store.recentMessages("s1", 1)).singleElement()
                .satisfies(m -> assertThat(m.message()).isEqualTo(original));
    }

    @Test
    void appendMessages_sameAppendIdTwice_appliesOnceAndReportsDuplicate() {
        AppendRequest request = AppendRequest.builder("s1", "en").messages(pair("q", "a")).appendId("turn-1").build();
        store.appendMessages("s1", "en", pair("first", "first"));

        AppendResult first = store.appendMessages(request);
        AppendResult again = store.appendMessages(request);

        assertThat(first.duplicate()).isFalse();
        assertThat(again.duplicate()).isTrue();
        assertThat(again.firstSequence()).isEqualTo(first.firstSequence()).isEqualTo(2);
        assertThat(again.messageCount()).isEqualTo(2);
        assertThat(store.findConversation("s1")).get().extracting(ConversationHeader::messageCount).isEqualTo(4L);
        assertThat(store.readMessages("s1", 0, 100)).hasSize(4);
    }

    @Test
    void appendMessages_repeatAfterSixtyThreeOtherAppends_stillRecognized() {
        AppendRequest request = AppendRequest.builder("s1", "en").messages(Message.user("once")).appendId("keep").build();
        store.appendMessages(request);
        for (int i = 0; i < 63; i++) {
            store.appendMessages("s1", "en", List.of(Message.user("filler " + i)));
        }

        AppendResult again = store.appendMessages(request);

        assertThat(again.duplicate()).isTrue();
        assertThat(again.firstSequence()).isZero();
        assertThat(store.findConversation("s1").orElseThrow().messageCount()).isEqualTo(64);
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"en, en", "zh-cn, zh-CN", "yue, yue", "und, und", "x-tutor, x-tutor",
            "i-klingon, tlh", "es-419, es-419", "he, he"})
    void appendMessages_languageCodes_acceptedInCanonicalForm(String given, String stored) {
        store.appendMessages("lang-" + given, given, List.of(Message.user("hi")));

        assertThat(store.findConversation("lang-" + given).orElseThrow().language()).isEqualTo(stored);
    }

    @Test
    void appendMessages_repeatAfterAThousandOtherAppends_stillRecognizedWithItsSequence() {
        AppendRequest request = AppendRequest.builder("s1", "en").messages(Message.user("once"), Message.assistant("reply"))
                .appendId("late-retry").build();
        store.appendMessages("s1", "en", List.of(Message.user("before")));
        store.appendMessages(request);
        for (int i = 0; i < 1000; i++) {
            store.appendMessages("s1", "en", List.of(Message.user("filler " + i)));
        }

        AppendResult again = store.appendMessages(request);

        assertThat(again.duplicate()).isTrue();
        assertThat(again.firstSequence()).isEqualTo(1);
        assertThat(again.messageCount()).isEqualTo(2);
        assertThat(store.findConversation("s1").orElseThrow().messageCount()).isEqualTo(1003);
        assertThat(readAll("s1")).extracting(StoredMessage::text).filteredOn(t -> t.equals("once")).hasSize(1);
    }

    @Test
    void appendMessages_sameAppendIdWithOtherContent_refusedAndNothingStored() {
        store.appendMessages(AppendRequest.builder("s1", "en").appendId("k").messages(Message.user("yes")).build());

        assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s1", "en").appendId("k")
                .messages(Message.user("no")).build()))
                .isInstanceOf(AppendConflictException.class)
                .hasMessageContaining("k")
                .satisfies(e -> assertThat(((AppendConflictException) e).firstSequence()).isZero())
                .satisfies(e -> assertThat(((AppendConflictException) e).isRetryable()).isFalse());
        assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s1", "en").appendId("k")
                .messages(Message.user("yes"), Message.user("and more")).build()))
                .isInstanceOf(AppendConflictException.class);
        assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s1", "en").appendId("k")
                .messages(Message.user("yes").withAttribute(Message.TRANSLATION, "oui")).build()))
                .isInstanceOf(AppendConflictException.class);
        assertThat(readAll("s1")).extracting(StoredMessage::text).containsExactly("yes");
    }

    @Test
    void appendMessages_sameAppendIdRebuiltWithNewMessageIdsAndTimes_isDuplicate() {
        store.appendMessages(AppendRequest.builder("s1", "en").appendId("k").messages(pair("q", "a")).build());

        AppendResult again = store.appendMessages(AppendRequest.builder("s1", "en").appendId("k").messages(pair("q", "a")).build());

        assertThat(again.duplicate()).isTrue();
        assertThat(readAll("s1")).hasSize(2);
    }

    @Test
    void appendMessages_fencedByTheHolder_appliesAndByAnotherHolder_refusedWithNothingStored() {
        assertThat(store.tryAcquireLease("s1", "en", "turn-a", java.time.Duration.ofMinutes(1))).isTrue();

        store.appendMessages(AppendRequest.builder("s1", "en").leaseHolder("turn-a").messages(Message.user("a")).build());
        assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s1", "en").leaseHolder("turn-b")
                .messages(Message.user("b")).build()))
                .isInstanceOf(LeaseLostException.class)
                .isInstanceOf(ConversationBusyException.class)
                .hasMessageContaining("turn-b");
        store.releaseLease("s1", "turn-a");
        assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s1", "en").leaseHolder("turn-a")
                .messages(Message.user("late")).build()))
                .isInstanceOf(LeaseLostException.class);

        assertThat(readAll("s1")).extracting(StoredMessage::text).containsExactly("a");
    }

    @Test
    void appendMessages_fencedAfterTheLeasePassedToAnotherHolder_refused() throws Exception {
        assertThat(store.tryAcquireLease("s1", "en", "slow", java.time.Duration.ofMillis(50))).isTrue();
        store.appendMessages(AppendRequest.builder("s1", "en").leaseHolder("slow").messages(Message.user("q1")).build());
        Thread.sleep(120);
        assertThat(store.tryAcquireLease("s1", "en", "fast", java.time.Duration.ofMinutes(1))).isTrue();
        store.appendMessages(AppendRequest.builder("s1", "en").leaseHolder("fast").messages(Message.user("q2")).build());

        assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s1", "en").leaseHolder("slow")
                .messages(Message.assistant("late reply to q1")).build()))
                .isInstanceOf(LeaseLostException.class);
        assertThat(readAll("s1")).extracting(StoredMessage::text).containsExactly("q1", "q2");
    }

    @Test
    void appendMessages_fencedOnDeletedSession_refused() {
        assertThat(store.tryAcquireLease("s1", "en", "h", java.time.Duration.ofMinutes(1))).isTrue();
        store.appendMessages(AppendRequest.builder("s1", "en").leaseHolder("h").messages(Message.user("a")).build());
        store.deleteConversation("s1");

        assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s1", "en").leaseHolder("h")
                .messages(Message.user("b")).build()))
                .isInstanceOf(LeaseLostException.class);
        assertThat(store.findConversation("s1")).isEmpty();
    }

    @Test
    void appendMessages_duplicateOnNewSessionRace_appliesOnce() throws Exception {
        AppendRequest request = AppendRequest.builder("race", "en").messages(pair("x", "y")).appendId("same").build();
        List<AppendResult> results = runConcurrently(8, i -> store.appendMessages(request));

        assertThat(results).filteredOn(r -> !r.duplicate()).hasSize(1);
        assertThat(results).allSatisfy(r -> assertThat(r.firstSequence()).isZero());
        assertThat(store.readMessages("race", 0, 100)).hasSize(2);
    }

    @Test
    void listConversationIds_pagesThroughConversationsInOrderWithoutLeaseOnlySessions() {
        for (String id : List.of("b", "a", "d", "c", "é")) {
            store.appendMessages(id, "en", List.of(Message.user("hi " + id)));
        }
        store.tryAcquireLease("lease-only", "en", "holder", java.time.Duration.ofMinutes(1));
        store.appendMessages("deleted", "en", List.of(Message.user("bye")));
        store.deleteConversation("deleted");

        assertThat(store.listConversationIds(null, 2)).containsExactly("a", "b");
        assertThat(store.listConversationIds("b", 2)).containsExactly("c", "d");
        assertThat(store.listConversationIds("d", 2)).containsExactly("é");
        assertThat(store.listConversationIds("é", 2)).isEmpty();
        assertThatThrownBy(() -> store.listConversationIds(null, 0)).hasMessageContaining("limit");
    }

    @Test
    void findConversation_returnsHeaderWrittenWithAppends() {
        Instant before = Instant.now().minusSeconds(1);
        store.appendMessages(AppendRequest.builder("s1", "zh-cn").messages(Message.user("你好"))
                .headerAttribute("level", "A1").headerAttribute("userId", "u-7").build());
        store.appendMessages(AppendRequest.builder("s1", "fr").messages(Message.user("encore"))
                .headerAttribute("level", "A2").build());

        ConversationHeader header = store.findConversation("s1").orElseThrow();

        assertThat(header.sessionId()).isEqualTo("s1");
        assertThat(header.language()).isEqualTo("zh-CN");
        assertThat(header.messageCount()).isEqualTo(2);
        assertThat(header.attributes()).containsOnly(Map.entry("level", "A2"), Map.entry("userId", "u-7"));
        assertThat(header.createdAt()).isAfter(before).isBeforeOrEqualTo(header.updatedAt());
    }

    @Test
    void readsOfUnknownSession_areEmpty() {
        assertThat(store.findConversation("nobody")).isEmpty();
        assertThat(store.recentMessages("nobody", 5)).isEmpty();
        assertThat(store.readMessages("nobody", 0, 5)).isEmpty();
        assertThat(store.deleteConversation("nobody")).isZero();
    }

    @Test
    void recentMessages_returnsLastNInOrder() {
        for (int i = 0; i < 10; i++) {
            store.appendMessages("s1", "en", List.of(Message.user("m" + i)));
        }

        List<StoredMessage> last3 = store.recentMessages("s1", 3);

        assertThat(last3).extracting(StoredMessage::text).containsExactly("m7", "m8", "m9");
        assertThat(last3).extracting(StoredMessage::sequence).containsExactly(7L, 8L, 9L);
        assertThat(store.recentMessages("s1", 100)).hasSize(10);
    }

    @Test
    void readMessages_pagesThroughWholeHistory() {
        for (int i = 0; i < 25; i++) {
            store.appendMessages("s1", "en", List.of(Message.user("m" + i)));
        }
        List<StoredMessage> all = new ArrayList<>();
        long next = 0;
        List<StoredMessage> page;
        do {
            page = store.readMessages("s1", next, 10);
            all.addAll(page);
            if (!page.isEmpty()) {
                next = page.get(page.size() - 1).sequence() + 1;
            }
        } while (page.size() == 10);

        assertThat(all).extracting(StoredMessage::sequence).containsExactlyElementsOf(
                IntStream.range(0, 25).mapToObj(i -> (long) i).collect(Collectors.toList()));
        assertThat(store.readMessages("s1", 25, 10)).isEmpty();
        assertThat(store.readMessages("s1", 24, 10)).extracting(StoredMessage::text).containsExactly("m24");
    }

    @Test
    void deleteConversation_erasesEverythingAndRestartsAtZero() {
        store.appendMessages("s1", "en", pair("a", "b"));
        store.appendMessages("s1", "en", pair("c", "d"));
        store.appendMessages("other", "en", pair("keep", "me"));

        assertThat(store.deleteConversation("s1")).isEqualTo(4);

        assertThat(store.findConversation("s1")).isEmpty();
        assertThat(store.recentMessages("s1", 10)).isEmpty();
        assertThat(store.deleteConversation("s1")).isZero();
        AppendResult fresh = store.appendMessages("s1", "de", List.of(Message.user("neu")));
        assertThat(fresh.firstSequence()).isZero();
        assertThat(fresh.conversationCreated()).isTrue();
        assertThat(store.findConversation("s1").orElseThrow().language()).isEqualTo("de");
        assertThat(store.recentMessages("other", 10)).hasSize(2);
    }

    /**
     * The original bug: many threads send rapid (user, assistant) pairs, to new sessions and to
     * existing ones. Every message must be stored once, pairs contiguous, sequence numbers dense,
     * each thread's pairs in the order it sent them, and no call may fail.
     */
    @Test
    void appendMessages_rapidPairsFromManyThreads_storeEveryMessageOnceInOrder() throws Exception {
        int threads = 16;
        int pairsPerThread = 12;
        List<String> sessions = List.of("fresh-1", "fresh-2", "fresh-3", "existing");
        store.appendMessages("existing", "en", List.of(Message.system("seeded")));

        runConcurrently(threads, t -> {
            for (int p = 0; p < pairsPerThread; p++) {
                String session = sessions.get((t + p) % sessions.size());
                store.appendMessages(session, "en", List.of(
                        Message.user("u/" + t + "/" + p), Message.assistant("a/" + t + "/" + p)));
            }
            return null;
        });

        int total = 0;
        for (String session : sessions) {
            List<StoredMessage> stored = readAll(session);
            total += stored.size();
            assertThat(stored).extracting(StoredMessage::sequence).containsExactlyElementsOf(
                    IntStream.range(0, stored.size()).mapToObj(i -> (long) i).collect(Collectors.toList()));
            Map<Integer, Integer> lastPairOfThread = new HashMap<>();
            int start = session.equals("existing") ? 1 : 0;
            assertThat((stored.size() - start) % 2).isZero();
            for (int i = start; i < stored.size(); i += 2) {
                String[] user = stored.get(i).text().split("/");
                assertThat(user[0]).isEqualTo("u");
                assertThat(stored.get(i + 1).text()).isEqualTo("a/" + user[1] + "/" + user[2]);
                int thread = Integer.parseInt(user[1]);
                int pairNo = Integer.parseInt(user[2]);
                assertThat(pairNo).isGreaterThan(lastPairOfThread.getOrDefault(thread, -1));
                lastPairOfThread.put(thread, pairNo);
            }
        }
        assertThat(total).isEqualTo(threads * pairsPerThread * 2 + 1);
    }

    @Test
    void reads_duringConcurrentAppends_alwaysShowWholeBatchPrefixes() throws Exception {
        int writers = 4;
        int batches = 30;
        AtomicBoolean done = new AtomicBoolean();
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(pool.submit(() -> {
                    long lastCount = 0;
                    while (!done.get()) {
                        List<StoredMessage> seen = store.readMessages("prefix", 0, ConversationStore.MAX_READ_LIMIT);
                        for (int i = 0; i < seen.size(); i++) {
                            if (seen.get(i).sequence() != i) {
                                violations.add("gap at " + i);
                            }
                        }
                        // each batch is three messages "w/b/0", "w/b/1", "w/b/2"
                        if (seen.size() % 3 != 0) {
                            violations.add("partial batch: " + seen.size() + " messages");
                        }
                        if (seen.size() < lastCount) {
                            violations.add("went back from " + lastCount + " to " + seen.size());
                        }
                        lastCount = seen.size();
                    }
                }));
            }
            runConcurrently(writers, w -> {
                for (int b = 0; b < batches; b++) {
                    store.appendMessages("prefix", "en", List.of(Message.user(w + "/" + b + "/0"),
                            Message.assistant(w + "/" + b + "/1"), Message.user(w + "/" + b + "/2")));
                }
                return null;
            });
            done.set(true);
            for (Future<?> f : readers) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
        assertThat(violations).isEmpty();
        assertThat(readAll("prefix")).hasSize(writers * batches * 3);
    }

    @Test
    void appendMessages_textLongerThanLimit_rejectedAndNothingStored() {
        String tooLong = "x".repeat(64 * 1024 + 1);

        assertThatThrownBy(() -> store.appendMessages("s1", "en", List.of(Message.user("ok"), Message.user(tooLong))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("messages[1].text")
                .hasMessageContaining("65536 bytes");
        assertThat(store.findConversation("s1")).isEmpty();
    }

    @Test
    void appendMessages_textAtLimitInMultibyteCharacters_accepted() {
        String fits = "é".repeat(32 * 1024); // 2 bytes each: exactly 64 KiB
        store.appendMessages("s1", "fr", List.of(Message.user(fits)));
        assertThat(store.recentMessages("s1", 1).get(0).text()).isEqualTo(fits);
        assertThatThrownBy(() -> store.appendMessages("s1", "fr", List.of(Message.user(fits + "é"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("text");
    }

    @Test
    void readMethods_rejectInvalidArguments() {
        assertThatThrownBy(() -> store.recentMessages("s1", 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
        assertThatThrownBy(() -> store.recentMessages("s1", ConversationStore.MAX_READ_LIMIT + 1)).hasMessageContaining("limit");
        assertThatThrownBy(() -> store.readMessages("s1", -1, 5)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fromSequence");
        assertThatThrownBy(() -> store.findConversation(" ")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sessionId");
        assertThatThrownBy(() -> store.deleteConversation("a\u0000b")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sessionId");
    }

    /** Each case: the field named in the message, the rule, and the call that breaks it. */
    static Stream<Arguments> badAppends() {
        List<Message> ok = List.of(Message.user("hi"));
        Message base = Message.user("hi");
        return Stream.of(
                bad("sessionId", "blank", s -> s.appendMessages("", "en", ok)),
                bad("sessionId", "blank", s -> s.appendMessages("   ", "en", ok)),
                bad("sessionId", "at most 256", s -> s.appendMessages("x".repeat(257), "en", ok)),
                bad("sessionId", "control characters", s -> s.appendMessages("a\nb", "en", ok)),
                bad("sessionId", "control characters", s -> s.appendMessages("a\u0000b", "en", ok)),
                bad("language", "BCP 47", s -> s.appendMessages("s1", "", ok)),
                bad("language", "BCP 47", s -> s.appendMessages("s1", "en_US", ok)),
                bad("language", "BCP 47", s -> s.appendMessages("s1", "e", ok)),
                bad("language", "BCP 47", s -> s.appendMessages("s1", "en--US", ok)),
                bad("language", "ISO 639", s -> s.appendMessages("s1", "english", ok)),
                bad("language", "ISO 639", s -> s.appendMessages("s1", "Spanish", ok)),
                bad("language", "ISO 639", s -> s.appendMessages("s1", "qq", ok)),
                bad("language", "BCP 47", s -> s.appendMessages("s1", "123", ok)),
                bad("messages", "1 to 256", s -> s.appendMessages("s1", "en", List.of())),
                bad("messages", "1 to 256", s -> s.appendMessages("s1", "en",
                        Collections.nCopies(257, base))),
                bad("attributes", "'$'", s -> s.appendMessages("s1", "en", List.of(base.withAttribute("$set", "v")))),
                bad("attributes", "'.'", s -> s.appendMessages("s1", "en", List.of(base.withAttribute("a.b", "v")))),
                bad("attributes", "NUL", s -> s.appendMessages("s1", "en", List.of(base.withAttribute("a\u0000", "v")))),
                bad("attributes", "empty", s -> s.appendMessages("s1", "en", List.of(base.withAttribute("", "v")))),
                bad("attributes", "reserved", s -> s.appendMessages("s1", "en", List.of(base.withAttribute("text", "v")))),
                bad("headerAttributes", "'$'", s -> s.appendMessages(AppendRequest.builder("s1", "en").messages(ok)
                        .headerAttribute("$inc", "1").build())),
                bad("headerAttributes", "'.'", s -> s.appendMessages(AppendRequest.builder("s1", "en").messages(ok)
                        .headerAttribute("a.b", "1").build())),
                bad("appendId", "blank", s -> s.appendMessages(AppendRequest.builder("s1", "en").messages(ok)
                        .appendId(" ").build())),
                bad("appendId", "at most 128", s -> s.appendMessages(AppendRequest.builder("s1", "en").messages(ok)
                        .appendId("x".repeat(129)).build())),
                bad("id", "blank", s -> s.appendMessages("s1", "en", List.of(base.withId("")))),
                bad("messages[0].text", "bytes", s -> s.appendMessages("s1", "en",
                        List.of(Message.user("y".repeat(70_000))))),
                bad("callId", "blank", s -> s.appendMessages("s1", "en", List.of(Message.tool(Part.ToolResult.text(" ", "t", "x"))))),
                bad("callId", "blank", s -> s.appendMessages("s1", "en", List.of(Message.of(Role.ASSISTANT,
                        new Part.ToolCall("", "t", "{}"))))),
                bad("data", "at most 65536 bytes inline", s -> s.appendMessages("s1", "en", List.of(Message.of(Role.USER,
                        Part.Media.inline("image/png", new byte[65_537]))))),
                bad("mimeType", "media type", s -> s.appendMessages("s1", "en", List.of(Message.of(Role.USER,
                        Part.Media.of("png", java.net.URI.create("https://x/y.png")))))),
                bad("uri", "absolute", s -> s.appendMessages("s1", "en", List.of(Message.of(Role.USER,
                        Part.Media.of("image/png", java.net.URI.create("y.png")))))),
                bad("metadata", "deeper than 16", s -> s.appendMessages("s1", "en", List.of(base.withMetadata("deep", nested(16))))),
                bad("metadata.usage", "'$'", s -> s.appendMessages("s1", "en", List.of(base.withMetadata("usage", Map.of("$inc", 1))))),
                bad("metadata", "'.'", s -> s.appendMessages("s1", "en", List.of(base.withMetadata("a.b", 1)))),
                bad("metadata.score", "finite", s -> s.appendMessages("s1", "en", List.of(base.withMetadata("score", Double.NaN)))),
                bad("metadata.when", "what JSON can say", s -> s.appendMessages("s1", "en",
                        List.of(base.withMetadata("when", Instant.now())))),
                bad("parts[0]", "assistant message", s -> s.appendMessages("s1", "en", List.of(Message.of(Role.USER,
                        new Part.ToolCall("c1", "t", "{}"))))),
                bad("parts[1]", "tool message", s -> s.appendMessages("s1", "en", List.of(Message.of(Role.ASSISTANT,
                        Part.text("x"), Part.ToolResult.text("c1", "t", "r"))))),
                bad("parts[1].callId", "repeats", s -> s.appendMessages("s1", "en", List.of(Message.of(Role.ASSISTANT,
                        new Part.ToolCall("c1", "t", "{}"), new Part.ToolCall("c1", "t", "{}"))))),
                bad("parts", "at least one tool_result", s -> s.appendMessages("s1", "en", List.of(Message.of(Role.TOOL,
                        new Part.Unknown("x", Map.of())))))
                        );
    }

    /** A map nesting {@code levels} maps below it. */
    private static Map<String, Object> nested(int levels) {
        Map<String, Object> map = Map.of();
        for (int i = 0; i < levels; i++) {
            map = Map.of("k", map);
        }
        return map;
    }

    private static Arguments bad(String field, String rule, Function<ConversationStore, Object> call) {
        return Arguments.of(field, rule, call);
    }

    @ParameterizedTest(name = "{0} breaking \"{1}\"")
    @MethodSource("badAppends")
    void appendMessages_invalidInput_namesFieldAndRuleAndStoresNothing(
            String field, String rule, Function<ConversationStore, Object> call) {
        assertThatThrownBy(() -> call.apply(store))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(field)
                .hasMessageContaining(rule);
        assertThat(store.findConversation("s1")).isEmpty();
    }

    @Test
    void appendMessages_nullArguments_namedInNullPointerException() {
        List<Message> ok = List.of(Message.user("hi"));
        assertThatThrownBy(() -> store.appendMessages(null, "en", ok)).isInstanceOf(NullPointerException.class).hasMessage("sessionId");
        assertThatThrownBy(() -> store.appendMessages("s1", null, ok)).isInstanceOf(NullPointerException.class).hasMessage("language");
        assertThatThrownBy(() -> store.appendMessages("s1", "en", null)).isInstanceOf(NullPointerException.class).hasMessage("messages");
        assertThatThrownBy(() -> store.appendMessages("s1", "en", java.util.Arrays.asList(Message.user("a"), null)))
                .isInstanceOf(NullPointerException.class).hasMessage("messages[1]");
        assertThatThrownBy(() -> store.appendMessages(null)).isInstanceOf(NullPointerException.class).hasMessage("request");
        assertThat(store.findConversation("s1")).isEmpty();
    }

    @Test
    void tryAcquireLease_isExclusiveUntilReleased() {
        assertThat(store.tryAcquireLease("s1", "en", "a", java.time.Duration.ofMinutes(1))).isTrue();
        assertThat(store.tryAcquireLease("s1", "en", "b", java.time.Duration.ofMinutes(1))).isFalse();
        assertThat(store.tryAcquireLease("s1", "en", "a", java.time.Duration.ofMinutes(1))).as("reentrant").isTrue();
        assertThat(store.renewLease("s1", "b", java.time.Duration.ofMinutes(1))).isFalse();
        store.releaseLease("s1", "b");
        assertThat(store.tryAcquireLease("s1", "en", "b", java.time.Duration.ofMinutes(1))).isFalse();
        assertThat(store.renewLease("s1", "a", java.time.Duration.ofMinutes(1))).isTrue();

        store.releaseLease("s1", "a");

        assertThat(store.tryAcquireLease("s1", "en", "b", java.time.Duration.ofMinutes(1))).isTrue();
        assertThat(store.renewLease("s1", "a", java.time.Duration.ofMinutes(1))).isFalse();
    }

    @Test
    void tryAcquireLease_afterExpiry_passesToAnotherHolder() throws Exception {
        assertThat(store.tryAcquireLease("s1", "en", "dead", java.time.Duration.ofMillis(150))).isTrue();
        assertThat(store.tryAcquireLease("s1", "en", "next", java.time.Duration.ofMinutes(1))).isFalse();

        Thread.sleep(300);

        assertThat(store.tryAcquireLease("s1", "en", "next", java.time.Duration.ofMinutes(1))).isTrue();
        assertThat(store.renewLease("s1", "dead", java.time.Duration.ofMinutes(1))).isFalse();
    }

    @Test
    void tryAcquireLease_onNewSession_createsNoConversation() {
        assertThat(store.tryAcquireLease("fresh", "en", "a", java.time.Duration.ofMinutes(1))).isTrue();

        assertThat(store.findConversation("fresh")).isEmpty();
        assertThat(store.recentMessages("fresh", 5)).isEmpty();
        AppendResult first = store.appendMessages("fresh", "en", List.of(Message.user("hi")));
        assertThat(first.firstSequence()).isZero();
        assertThat(first.conversationCreated()).isTrue();
        assertThat(store.findConversation("fresh").orElseThrow().messageCount()).isEqualTo(1);
        assertThat(store.tryAcquireLease("fresh", "en", "b", java.time.Duration.ofMinutes(1))).as("lease kept").isFalse();
    }

    @Test
    void tryAcquireLease_sameTurnKey_takesTheLeaseOverAndFencesThePreviousHolder() {
        java.time.Duration minute = java.time.Duration.ofMinutes(1);
        assertThat(store.tryAcquireLease("s1", "en", "first", "turn-1", minute)).isTrue();
        assertThat(store.tryAcquireLease("s1", "en", "other", "turn-2", minute)).as("another turn").isFalse();
        assertThat(store.tryAcquireLease("s1", "en", "other", minute)).as("no turn key").isFalse();

        assertThat(store.tryAcquireLease("s1", "en", "resumed", "turn-1", minute)).as("the same turn").isTrue();

        assertThatThrownBy(() -> store.appendMessages(AppendRequest.builder("s1", "en").leaseHolder("first")
                .messages(Message.user("late")).build()))
                .isInstanceOf(LeaseLostException.class);
        assertThat(store.renewLease("s1", "first", minute)).isFalse();
        store.appendMessages(AppendRequest.builder("s1", "en").leaseHolder("resumed").messages(Message.user("q")).build());
        assertThat(store.renewLease("s1", "resumed", minute)).isTrue();
        assertThat(store.tryAcquireLease("s1", "en", "again", "turn-1", minute)).as("key kept by renewal").isTrue();
        assertThat(readAll("s1")).extracting(StoredMessage::text).containsExactly("q");
    }

    @Test
    void tryAcquireLease_withoutTurnKey_isNotTakenOverByAKey() {
        java.time.Duration minute = java.time.Duration.ofMinutes(1);
        assertThat(store.tryAcquireLease("s1", "en", "plain", minute)).isTrue();

        assertThat(store.tryAcquireLease("s1", "en", "keyed", "turn-1", minute)).isFalse();
        assertThatThrownBy(() -> store.tryAcquireLease("s1", "en", "keyed", " ", minute))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("turnKey");
    }

    @Test
    void appendMessages_fencedWithRenewLease_extendsTheLeaseInTheSameStep() throws Exception {
        assertThat(store.tryAcquireLease("s1", "en", "a", java.time.Duration.ofMillis(200))).isTrue();
        AppendRequest step = AppendRequest.builder("s1", "en").appendId("step-1").leaseHolder("a")
                .renewLease(java.time.Duration.ofMinutes(1)).messages(Message.user("q")).build();
        store.appendMessages(step);
        assertThat(step.renewLease()).isEqualTo(java.time.Duration.ofMinutes(1));

        Thread.sleep(400);

        assertThat(store.tryAcquireLease("s1", "en", "b", java.time.Duration.ofMinutes(1))).as("still a's").isFalse();
        assertThat(store.appendMessages(step).duplicate()).isTrue();
        store.appendMessages(AppendRequest.builder("s1", "en").leaseHolder("a").messages(Message.assistant("r")).build());
        assertThat(readAll("s1")).extracting(StoredMessage::text).containsExactly("q", "r");
    }

    @Test
    void appendMessages_fencedDuplicateWithRenewLease_extendsTheLeaseToo() throws Exception {
        AppendRequest step = AppendRequest.builder("s1", "en").appendId("step-1").leaseHolder("a")
                .renewLease(java.time.Duration.ofMinutes(1)).messages(Message.user("q")).build();
        assertThat(store.tryAcquireLease("s1", "en", "a", java.time.Duration.ofMinutes(1))).isTrue();
        store.appendMessages(step);
        assertThat(store.tryAcquireLease("s1", "en", "a", java.time.Duration.ofMillis(200))).isTrue();

        assertThat(store.appendMessages(step).duplicate()).isTrue();
        Thread.sleep(400);

        assertThat(store.tryAcquireLease("s1", "en", "b", java.time.Duration.ofMinutes(1))).isFalse();
    }

    @Test
    void appendRequest_renewLeaseWithoutHolderOrNotPositive_refused() {
        assertThatThrownBy(() -> AppendRequest.builder("s1", "en").renewLease(java.time.Duration.ofSeconds(1))
                .messages(Message.user("q")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("renewLease").hasMessageContaining("leaseHolder");
        assertThatThrownBy(() -> AppendRequest.builder("s1", "en").leaseHolder("a").renewLease(java.time.Duration.ZERO)
                .messages(Message.user("q")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("renewLease");
        assertThatThrownBy(() -> AppendRequest.builder("s1", "en").renewLease(null))
                .isInstanceOf(NullPointerException.class).hasMessage("renewLease");
        assertThat(store.findConversation("s1")).isEmpty();
    }

    @Test
    void leaseMethods_rejectInvalidArguments() {
        assertThatThrownBy(() -> store.tryAcquireLease("s1", "en", " ", java.time.Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holder");
        assertThatThrownBy(() -> store.tryAcquireLease("s1", "en", "a", java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duration");
        assertThatThrownBy(() -> store.tryAcquireLease("s1", "xx_1", "a", java.time.Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("language");
        assertThatThrownBy(() -> store.renewLease("", "a", java.time.Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sessionId");
    }

    protected List<StoredMessage> readAll(String session) {
        List<StoredMessage> all = new ArrayList<>();
        List<StoredMessage> page;
        do {
            page = store.readMessages(session, all.size(), 500);
            all.addAll(page);
        } while (page.size() == 500);
        return all;
    }

    /** Starts {@code threads} tasks together and returns their results; any failure fails the test. */
    static <T> List<T> runConcurrently(int threads, ThrowingTask<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    start.await();
                    return task.run(index);
                }));
            }
            start.countDown();
            List<T> results = Collections.synchronizedList(new ArrayList<>());
            for (Future<T> f : futures) {
                results.add(f.get(120, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    @FunctionalInterface
    interface ThrowingTask<T> {
        T run(int index) throws Exception;
    }
}
