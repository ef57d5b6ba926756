package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.conversationstore.spi.KeyProvider;
import io.github.conversationstore.spi.KeyProviderException;
import io.github.conversationstore.spi.WrappedKey;
import io.github.conversationstore.testing.EmbeddedMongoTestBase;
import io.github.conversationstore.testing.FaultInjectingProxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.types.Binary;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/**
 * Encryption with a data key per conversation on the embedded server: no plaintext in any raw
 * document, one key per conversation life under lost replies and racing writers, stale keys,
 * rotation, crypto-erase, and a key provider that fails, is slow, or holds the wrong key.
 */
class MongoEncryptionTest extends EmbeddedMongoTestBase {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static final List<String> CANARIES = List.of("CANARY-TEXT-7f3a", "CANARY-ARGS-91bc", "CANARY-RESULT-55de",
            "CANARY-ATTR-0a1b", "CANARY-META-c0de", "CANARY-REASON-beef", "CANARY-MEDIA-d00d", "CANARY-MKEY-f00d",
            "CANARY-ERASED-aa11", "CANARY-HEADER-4242", "CANARY-SUMMARY-5a5a", "CANARY-ERASED-SUMMARY-bb22");

    private static String newDatabase() {
        return "crypt" + DATABASES.incrementAndGet() + "_" + System.nanoTime();
    }

    private static MongoConversationStore.Builder store(String database, KeyProvider keys) {
        MongoConversationStore.Builder builder = MongoConversationStore.builder().client(client).database(database)
                .collection("conversations").maxHeadMessages(4).maxHeadBytes(2048);
        return keys == null ? builder : builder.encryption(keys);
    }

    // ---- no plaintext leaks ------------------------------------------------------------------

    @Test
    void rawDocuments_afterAWorkloadWithEncryption_holdNoCanary() {
        String database = newDatabase();
        try (MongoConversationStore store = store(database, TestKeys.provider()).build()) {
            workload(store);
            assertThat(readMessagesBack(store)).isTrue();
        }
        assertThat(canariesIn(client.getDatabase(database))).isEmpty();
    }

    @Test
    void rawDocuments_afterTheSameWorkloadInClear_holdTheCanaries() {
        // the control: the scan finds what the workload writes when nothing is encrypted
        String database = newDatabase();
        try (MongoConversationStore store = store(database, null).build()) {
            workload(store);
        }
        assertThat(canariesIn(client.getDatabase(database)))
                .containsAll(CANARIES.stream().filter(c -> !c.startsWith("CANARY-ERASED")).toList())
                .as("summaries of a deleted conversation and of an erased owner's").doesNotContain(CANARIES.get(11));
    }

    /** Appends with parts, attributes and metadata to two owners' conversations, moves, deletes, erases an owner. */
    private static void workload(ConversationStore store) {
        Owner alice = Owner.of("app", "alice");
        Owner bob = Owner.of("app", "bob");
        for (int s = 0; s < 3; s++) {
            String session = "w" + s;
            for (int i = 0; i < 6; i++) {
                Message user = Message.user("hello " + CANARIES.get(0) + " " + i)
                        .withAttribute("grammarSuggestion", CANARIES.get(3))
                        .withMetadata("note", Map.of("deep", CANARIES.get(4), CANARIES.get(7), 1));
                Message call = Message.of(Role.ASSISTANT, Part.Reasoning.of(CANARIES.get(5), "sig"),
                        new Part.ToolCall("c" + i, "lookup", "{\"q\":\"" + CANARIES.get(1) + "\"}"));
                Message result = Message.tool(Part.ToolResult.text("c" + i, "lookup", CANARIES.get(2)));
                Message media = Message.of(Role.USER, Part.Media.inline("text/plain",
                        CANARIES.get(6).getBytes(StandardCharsets.UTF_8)), Part.Media.of("image/png", URI.create("https://example.com/x.png")));
                store.appendMessages(AppendRequest.builder(session, "en").owner(s == 2 ? bob : alice)
                        .headerAttribute("topic", CANARIES.get(9) + " " + i)
                        .messages(user, call, result, media).build());
            }
        }
        store.writeSummary("w0", new Summary(0, 4, Message.system("so far: " + CANARIES.get(10))
                .withMetadata("topics", List.of(CANARIES.get(10))), 12));
        store.writeSummary("w2", Summary.of(0, 4, CANARIES.get(11), 12));
        store.appendMessages(AppendRequest.builder("gone", "en").owner(alice).messages(Message.user(CANARIES.get(8))).build());
        store.writeSummary("gone", Summary.of(0, 1, CANARIES.get(11), 12));
        store.deleteConversation("gone");
        store.eraseOwner(bob);
    }

    private static boolean readMessagesBack(ConversationStore store) {
        List<StoredMessage> all = store.readMessages("w0", 0, 1000);
        assertThat(all).hasSize(24);
        assertThat(all.get(0).text()).contains(CANARIES.get(0));
        assertThat(all.get(0).message().attributes()).containsEntry("grammarSuggestion", CANARIES.get(3));
        assertThat(all.get(1).message().parts()).contains(new Part.ToolCall("c0", "lookup", "{\"q\":\"" + CANARIES.get(1) + "\"}"));
        assertThat(store.readMessages("w2", 0, 10)).isEmpty();
        assertThat(store.summaries("w0")).singleElement().satisfies(summary -> {
            assertThat(summary.message().text()).isEqualTo("so far: " + CANARIES.get(10));
            assertThat(summary.message().metadata()).containsEntry("topics", List.of(CANARIES.get(10)));
        });
        assertThat(store.summaries("w2")).isEmpty();
        assertThat(store.findConversation("w0").orElseThrow().attributes()).containsEntry("topic", CANARIES.get(9) + " 5");
        assertThat(store.listConversations(Owner.of("app", "alice"), null, 10))
                .allSatisfy(h -> assertThat(h.attributes().get("topic")).startsWith(CANARIES.get(9)));
        return true;
    }

    /** The canaries found in any raw document of any collection, as text or as bytes (in binary values). */
    private static Set<String> canariesIn(MongoDatabase database) {
        Set<String> found = new HashSet<>();
        List<String> names = database.listCollectionNames().into(new ArrayList<>());
        assertThat(names).contains("conversations", "conversations_archive", "conversations_summaries");
        int documents = 0;
        for (String name : names) {
            for (RawBsonDocument raw : database.getCollection(name, RawBsonDocument.class).find()) {
                documents++;
                byte[] bytes = raw.getByteBuffer().array();
                String asText = new String(bytes, StandardCharsets.ISO_8859_1) + raw.toJson();
                for (String canary : CANARIES) {
                    if (asText.contains(canary)) {
                        found.add(canary);
                    }
                }
            }
        }
        assertThat(documents).isGreaterThan(3);
        return found;
    }

    // ---- one data key per conversation life ---------------------------------------------------

    @Test
    void firstAppend_replyLostWhileTheKeyIsCreated_storesOneKeyThatOpensEveryMessage() throws Exception {
        String database = newDatabase();
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port());
                com.mongodb.client.MongoClient viaProxy = proxy.client();
                MongoConversationStore store = MongoConversationStore.builder().client(viaProxy).database(database)
                        .collection("conversations").encryption(TestKeys.provider()).build()) {
            proxy.arm(FaultInjectingProxy.Fault.DROP_REPLY_AFTER_APPLY, "findAndModify", 1);

            AppendResult result = store.appendMessages(AppendRequest.builder("s", "en").appendId("first")
                    .messages(Message.user("one"), Message.assistant("two")).build());

            assertThat(proxy.injected()).isEqualTo(1);
            assertThat(result.duplicate()).isFalse();
            assertThat(result.firstSequence()).isZero();
        }
        assertOneKeyOpensEverything(database, "s", 2);
        try (MongoConversationStore fresh = store(database, TestKeys.provider()).createIndexes(false).build()) {
            assertThat(fresh.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("one", "two");
        }
    }

    @Test
    void twoWritersCreatingTheSameConversationAtOnce_agreeOnOneKey() throws Exception {
        String database = newDatabase();
        int sessions = 20;
        try (MongoConversationStore a = store(database, TestKeys.provider()).build();
                MongoConversationStore b = store(database, TestKeys.provider()).createIndexes(false).build()) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int s = 0; s < sessions; s++) {
                    String session = "race" + s;
                    CyclicBarrier start = new CyclicBarrier(2);
                    Future<?> fa = pool.submit(() -> {
                        start.await();
                        return a.appendMessages(session, "en", List.of(Message.user("from a")));
                    });
                    Future<?> fb = pool.submit(() -> {
                        start.await();
                        return b.appendMessages(session, "en", List.of(Message.user("from b")));
                    });
                    fa.get();
                    fb.get();
                }
            } finally {
                pool.shutdownNow();
            }
        }
        try (MongoConversationStore fresh = store(database, TestKeys.provider()).createIndexes(false).build()) {
            for (int s = 0; s < sessions; s++) {
                assertOneKeyOpensEverything(database, "race" + s, 2);
                assertThat(fresh.readMessages("race" + s, 0, 10)).extracting(StoredMessage::text)
                        .containsExactlyInAnyOrder("from a", "from b");
            }
        }
    }

    @Test
    void writerWithAStaleCachedKey_afterADeleteAndARevive_writesWithTheNewKey() {
        String database = newDatabase();
        try (MongoConversationStore a = store(database, TestKeys.provider()).build();
                MongoConversationStore b = store(database, TestKeys.provider()).createIndexes(false).build()) {
            a.appendMessages("s", "en", List.of(Message.user("old life")));
            ObjectId oldKey = heads(database).find(new Document("sessionId", "s")).first().getObjectId(MongoDataKeys.KEY_ID);
            b.deleteConversation("s");
            b.appendMessages("s", "en", List.of(Message.user("new life 1")));

            a.appendMessages("s", "en", List.of(Message.user("new life 2"))); // a still caches the old key

            ObjectId newKey = heads(database).find(new Document("sessionId", "s")).first().getObjectId(MongoDataKeys.KEY_ID);
            assertThat(newKey).isNotEqualTo(oldKey);
            assertOneKeyOpensEverything(database, "s", 2);
            assertThat(idOccurrences(database, oldKey)).isZero();
        }
        try (MongoConversationStore fresh = store(database, TestKeys.provider()).createIndexes(false).build()) {
            assertThat(fresh.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("new life 1", "new life 2");
        }
    }

    @Test
    void headCreatedByALease_getsItsKeyWithTheFirstFencedAppend() {
        String database = newDatabase();
        try (MongoConversationStore store = store(database, TestKeys.provider()).build()) {
            assertThat(store.tryAcquireLease("s", "en", "holder", Duration.ofMinutes(1))).isTrue();
            store.appendMessages(AppendRequest.builder("s", "en").leaseHolder("holder").messages(Message.user("fenced")).build());
            assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("fenced");
        }
        assertOneKeyOpensEverything(database, "s", 1);
    }

    /** The session's head has one data key, and every message of the session, in head and archive, is sealed with it. */
    private static void assertOneKeyOpensEverything(String database, String session, int messages) {
        Document head = heads(database).find(new Document("sessionId", session)).first();
        ObjectId keyId = head.getObjectId(MongoDataKeys.KEY_ID);
        assertThat(keyId).isNotNull();
        List<Document> stored = new ArrayList<>(HeadDocument.messages(head));
        client.getDatabase(database).getCollection("conversations_archive")
                .find(new Document("sessionId", session).append("generation", head.get("generation")))
                .forEach(chunk -> stored.addAll(HeadDocument.messages(chunk)));
        assertThat(stored).hasSize(messages);
        for (Document message : stored) {
            assertThat(MessageCipher.isSealed(message)).isTrue();
            assertThat(MessageCipher.keyIdOf(message)).isEqualTo(keyId);
        }
    }

    private static MongoCollection<Document> heads(String database) {
        return client.getDatabase(database).getCollection("conversations");
    }

    // ---- rotation ---------------------------------------------------------------------------

    @Test
    void rotation_rewrapsEveryDataKey_withoutRewritingMessages() {
        String database = newDatabase();
        LocalKeyProvider k1 = LocalKeyProvider.of("kek-1", TestKeys.key(1));
        try (MongoConversationStore store = store(database, k1).build()) {
            for (int s = 0; s < 5; s++) {
                for (int i = 0; i < 6; i++) {
                    store.appendMessages("r" + s, "en", List.of(Message.user("m" + i)));
                }
            }
        }
        List<Document> chunksBefore = client.getDatabase(database).getCollection("conversations_archive").find()
                .into(new ArrayList<>());
        assertThat(chunksBefore).isNotEmpty();
        List<Object> messagesBefore = heads(database).find().map(h -> h.get("messages")).into(new ArrayList<>());

        try (MongoConversationStore rotated = store(database, k1.rotatedTo("kek-2", TestKeys.key(2))).createIndexes(false).build()) {
            assertThat(rotated.rewrapDataKeys()).isEqualTo(5);
            assertThat(rotated.rewrapDataKeys()).isZero(); // idempotent
        }

        assertThat(heads(database).find().map(h -> h.get(MongoDataKeys.DATA_KEY, Document.class).getString(MongoDataKeys.KEK))
                .into(new ArrayList<>())).containsOnly("kek-2");
        assertThat(client.getDatabase(database).getCollection("conversations_archive").find().into(new ArrayList<>()))
                .isEqualTo(chunksBefore);
        assertThat(heads(database).find().map(h -> h.get("messages")).into(new ArrayList<>())).isEqualTo(messagesBefore);
        // the old key-encryption key can be retired: the new one alone opens everything
        try (MongoConversationStore onlyNew = store(database, LocalKeyProvider.of("kek-2", TestKeys.key(2)))
                .createIndexes(false).build()) {
            for (int s = 0; s < 5; s++) {
                assertThat(onlyNew.readMessages("r" + s, 0, 10)).extracting(StoredMessage::text)
                        .containsExactly("m0", "m1", "m2", "m3", "m4", "m5");
            }
        }
    }

    @Test
    void rewrapDataKeys_withoutEncryption_isRefused() {
        try (MongoConversationStore store = store(newDatabase(), null).build()) {
            assertThatThrownBy(store::rewrapDataKeys).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("encryption(KeyProvider)");
        }
    }

    // ---- crypto-erase -----------------------------------------------------------------------

    @Test
    void deleteConversation_destroysTheKey_soACopyOfAnArchiveChunkTakenBeforeCannotBeOpened() {
        String database = newDatabase();
        LocalKeyProvider keys = TestKeys.provider();
        try (MongoConversationStore store = store(database, keys).build()) {
            for (int i = 0; i < 12; i++) {
                store.appendMessages("victim", "en", List.of(Message.user("secret " + i)));
                store.appendMessages("bystander", "en", List.of(Message.user("other " + i)));
            }
            // the backup: a chunk and the head as they were before the delete
            Document chunk = client.getDatabase(database).getCollection("conversations_archive")
                    .find(new Document("sessionId", "victim")).first();
            assertThat(chunk).isNotNull();
            ObjectId keyId = heads(database).find(new Document("sessionId", "victim")).first().getObjectId(MongoDataKeys.KEY_ID);

            store.deleteConversation("victim");

            assertCannotBeOpened(database, keys, "victim", chunk, keyId);
        }
    }

    @Test
    void eraseOwner_destroysTheKeysOfEveryConversation() {
        String database = newDatabase();
        LocalKeyProvider keys = TestKeys.provider();
        Owner owner = Owner.of("alice");
        try (MongoConversationStore store = store(database, keys).build()) {
            for (int i = 0; i < 12; i++) {
                store.appendMessages(AppendRequest.builder("a1", "en").owner(owner).messages(Message.user("secret " + i)).build());
                store.appendMessages("bystander", "en", List.of(Message.user("other " + i)));
            }
            Document chunk = client.getDatabase(database).getCollection("conversations_archive")
                    .find(new Document("sessionId", "a1")).first();
            ObjectId keyId = heads(database).find(new Document("sessionId", "a1")).first().getObjectId(MongoDataKeys.KEY_ID);

            store.eraseOwner(owner);

            assertCannotBeOpened(database, keys, "a1", chunk, keyId);
        }
    }

    /** No document holds the key any more, and no key the store holds opens the copied chunk. */
    private static void assertCannotBeOpened(String database, KeyProvider keys, String session, Document chunk, ObjectId keyId) {
        assertThat(idOccurrences(database, keyId)).isZero();
        List<Document> copied = HeadDocument.messages(chunk);
        assertThat(copied).isNotEmpty().allMatch(MessageCipher::isSealed);
        // every data key the store still has, unwrapped, tried on every copied message
        DataKeys unwrapper = new DataKeys(keys);
        int tried = 0;
        for (Document head : heads(database).find(new Document(MongoDataKeys.KEY_ID, new Document("$exists", true)))) {
            Document dataKey = head.get(MongoDataKeys.DATA_KEY, Document.class);
            var key = unwrapper.unwrap(session, new WrappedKey(dataKey.getString(MongoDataKeys.KEK),
                    dataKey.get(MongoDataKeys.WRAPPED, Binary.class).getData()));
            for (Document message : copied) {
                tried++;
                assertThatThrownBy(() -> MessageCipher.open(session, key, message)).isInstanceOf(EncryptionException.class);
            }
        }
        // and a store (without cached keys) finds no key for it
        try (MongoConversationStore fresh = store(database, keys).createIndexes(false).build()) {
            assertThat(fresh.readMessages(session, 0, 100)).isEmpty();
        }
        assertThat(tried).isPositive();
    }

    /** How many documents in the database hold these 12 bytes (a key id), in any field. */
    private static long idOccurrences(String database, ObjectId id) {
        byte[] needle = id.toByteArray();
        long n = 0;
        for (String name : client.getDatabase(database).listCollectionNames()) {
            for (RawBsonDocument raw : client.getDatabase(database).getCollection(name, RawBsonDocument.class).find()) {
                if (indexOf(raw.getByteBuffer().array(), needle) >= 0) {
                    n++;
                }
            }
        }
        return n;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // ---- key provider faults, wrong and missing keys ----------------------------------------

    /** A provider that fails or stalls on demand. */
    static final class FlakyProvider implements KeyProvider {
        final KeyProvider delegate;
        final AtomicReference<RuntimeException> failWith = new AtomicReference<>();
        volatile long stallMillis;
        final AtomicInteger calls = new AtomicInteger();

        FlakyProvider(KeyProvider delegate) {
            this.delegate = delegate;
        }

        private void maybeFail() {
            calls.incrementAndGet();
            if (stallMillis > 0) {
                try {
                    Thread.sleep(stallMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            RuntimeException e = failWith.get();
            if (e != null) {
                throw e;
            }
        }

        @Override
        public String currentKeyId() {
            return delegate.currentKeyId();
        }

        @Override
        public WrappedKey wrap(byte[] dataKey) {
            maybeFail();
            return delegate.wrap(dataKey);
        }

        @Override
        public byte[] unwrap(WrappedKey wrapped) {
            maybeFail();
            return delegate.unwrap(wrapped);
        }
    }

    @Test
    void providerFailingWhileANewConversationsKeyIsWrapped_failsTheAppendRetryably_nothingWritten() {
        String database = newDatabase();
        FlakyProvider keys = new FlakyProvider(TestKeys.provider());
        try (MongoConversationStore store = store(database, keys).build()) {
            keys.failWith.set(new KeyProviderException("KMS throttled", true, null));
            AppendRequest request = AppendRequest.builder("s", "en").appendId("a1").messages(Message.user("hi")).build();

            assertThatThrownBy(() -> store.appendMessages(request))
                    .isInstanceOf(ConversationStoreUnavailableException.class)
                    .hasMessageContaining("key provider")
                    .hasMessageContaining("nothing was written")
                    .satisfies(e -> assertThat(((ConversationStoreException) e).isRetryable()).isTrue());
            assertThat(heads(database).countDocuments()).isZero();

            keys.failWith.set(null);
            assertThat(store.appendMessages(request).duplicate()).isFalse();
            assertThat(store.appendMessages(request).duplicate()).isTrue();
            assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("hi");
        }
    }

    @Test
    void providerFailingWhileAnExistingKeyIsUnwrapped_failsTheAppendRetryably_nothingWritten() {
        String database = newDatabase();
        try (MongoConversationStore first = store(database, TestKeys.provider()).build()) {
            first.appendMessages("s", "en", List.of(Message.user("one")));
        }
        FlakyProvider keys = new FlakyProvider(TestKeys.provider());
        keys.failWith.set(new IllegalStateException("connection reset by KMS"));
        try (MongoConversationStore store = store(database, keys).createIndexes(false).build()) {
            AppendRequest request = AppendRequest.builder("s", "en").appendId("a2").messages(Message.user("two")).build();

            assertThatThrownBy(() -> store.appendMessages(request)).isInstanceOf(ConversationStoreUnavailableException.class)
                    .hasMessageContaining("unwrap");
            assertThat(HeadDocument.messages(heads(database).find().first())).hasSize(1);
            assertThatThrownBy(() -> store.readMessages("s", 0, 10)).isInstanceOf(ConversationStoreUnavailableException.class);

            keys.failWith.set(null);
            store.appendMessages(request);
            assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("one", "two");
        }
    }

    @Test
    void providerAnsweringAfterTheOperationTimeout_failsTheAppendRetryably_nothingWritten() {
        String database = newDatabase();
        FlakyProvider keys = new FlakyProvider(TestKeys.provider());
        try (MongoConversationStore store = store(database, keys).operationTimeout(Duration.ofMillis(300)).build()) {
            keys.stallMillis = 600;
            assertThatThrownBy(() -> store.appendMessages("s", "en", List.of(Message.user("slow"))))
                    .isInstanceOf(ConversationStoreUnavailableException.class)
                    .hasMessageContaining("operation timeout");
            assertThat(heads(database).countDocuments()).isZero();
        }
    }

    @Test
    void wrongKeyEncryptionKey_isAClearError_andNothingIsWritten() {
        String database = newDatabase();
        try (MongoConversationStore store = store(database, TestKeys.provider()).build()) {
            store.appendMessages("s", "en", List.of(Message.user("one")));
        }
        LocalKeyProvider wrong = LocalKeyProvider.of("test-kek-1", TestKeys.key(9)); // same id, other bytes
        try (MongoConversationStore store = store(database, wrong).createIndexes(false).build()) {
            assertThatThrownBy(() -> store.appendMessages("s", "en", List.of(Message.user("two"))))
                    .isInstanceOf(EncryptionException.class)
                    .hasMessageContaining("does not authenticate")
                    .satisfies(e -> assertThat(((ConversationStoreException) e).isRetryable()).isFalse());
            assertThatThrownBy(() -> store.readMessages("s", 0, 10)).isInstanceOf(EncryptionException.class);
        }
        assertThat(HeadDocument.messages(heads(database).find().first())).hasSize(1);
    }

    @Test
    void unknownKeyEncryptionKeyId_isAClearError() {
        String database = newDatabase();
        try (MongoConversationStore store = store(database, TestKeys.provider()).build()) {
            store.appendMessages("s", "en", List.of(Message.user("one")));
        }
        try (MongoConversationStore store = store(database, LocalKeyProvider.of("another", TestKeys.key(1)))
                .createIndexes(false).build()) {
            assertThatThrownBy(() -> store.readMessages("s", 0, 10)).isInstanceOf(EncryptionException.class)
                    .hasMessageContaining("unknown key id 'test-kek-1'");
        }
    }

    @Test
    void missingKeyProvider_readingEncryptedMessages_isAClearError() {
        String database = newDatabase();
        try (MongoConversationStore store = store(database, TestKeys.provider()).build()) {
            store.appendMessages("s", "en", List.of(Message.user("one")));
        }
        try (MongoConversationStore plain = store(database, null).createIndexes(false).build()) {
            assertThatThrownBy(() -> plain.readMessages("s", 0, 10)).isInstanceOf(EncryptionException.class)
                    .hasMessageContaining("encryption(KeyProvider)");
            assertThatThrownBy(() -> plain.recentMessages("s", 10)).isInstanceOf(EncryptionException.class);
        }
    }

    @Test
    void conversationWrittenInClear_keepsItsClearMessages_andSealsNewOnes() {
        String database = newDatabase();
        try (MongoConversationStore plain = store(database, null).build()) {
            plain.appendMessages("s", "en", List.of(Message.user("clear")));
        }
        try (MongoConversationStore store = store(database, TestKeys.provider()).createIndexes(false).build()) {
            store.appendMessages("s", "en", List.of(Message.user("sealed")));
            assertThat(store.readMessages("s", 0, 10)).extracting(StoredMessage::text).containsExactly("clear", "sealed");
        }
        List<Document> stored = HeadDocument.messages(heads(database).find().first());
        assertThat(stored).extracting(MessageCipher::isSealed).containsExactly(false, true);
    }

    @Test
    void tamperedMessage_doesNotOpen() {
        String database = newDatabase();
        try (MongoConversationStore store = store(database, TestKeys.provider()).build()) {
            store.appendMessages("s", "en", List.of(Message.user("one"), Message.user("two")));
            // swap the sealed content of the two messages
            Document head = heads(database).find().first();
            List<Document> messages = HeadDocument.messages(head);
            Object first = messages.get(0).get(MessageCipher.SEALED);
            heads(database).updateOne(new Document("sessionId", "s"), new Document("$set",
                    new Document("messages.0." + MessageCipher.SEALED, messages.get(1).get(MessageCipher.SEALED))
                            .append("messages.1." + MessageCipher.SEALED, first)));
            assertThatThrownBy(() -> store.readMessages("s", 0, 10)).isInstanceOf(EncryptionException.class)
                    .hasMessageContaining("does not authenticate");
        }
    }

    @Test
    void headerAttributes_areSealed_andReadBackByAnotherStoreInstance() {
        String database = newDatabase();
        try (MongoConversationStore store = store(database, TestKeys.provider()).build()) {
            store.appendMessages(AppendRequest.builder("s", "en").owner(Owner.of("u")).headerAttribute("title", "secret title")
                    .messages(Message.user("one")).build());
            store.appendMessages(AppendRequest.builder("s", "en").headerAttribute("mood", "calm").messages(Message.user("two")).build());
        }
        Document attributes = heads(database).find().first().get("attributes", Document.class);
        assertThat(attributes.get("title")).isInstanceOf(Binary.class);
        try (MongoConversationStore fresh = store(database, TestKeys.provider()).createIndexes(false).build()) {
            assertThat(fresh.findConversation("s").orElseThrow().attributes())
                    .isEqualTo(Map.of("title", "secret title", "mood", "calm"));
            assertThat(fresh.listConversations(Owner.of("u"), null, 10)).singleElement()
                    .satisfies(h -> assertThat(h.attributes()).containsEntry("title", "secret title"));
        }
        try (MongoConversationStore plain = store(database, null).createIndexes(false).build()) {
            assertThatThrownBy(() -> plain.findConversation("s")).isInstanceOf(EncryptionException.class)
                    .hasMessageContaining("header attribute");
        }
    }

    @Test
    void encryptionWithTheOriginalBackend_isRefused() {
        assertThatThrownBy(() -> store(newDatabase(), TestKeys.provider()).forOriginalBackend().build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("forOriginalBackend");
    }
}
